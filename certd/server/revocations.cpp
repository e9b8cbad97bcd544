#include "certd/server/revocations.hpp"

#include <algorithm>
#include <set>

#include "certd/revocation/fetch.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/x509/time.hpp"

namespace edgesec::certd {
namespace {

constexpr int64_t kFirstRetry = 60;
constexpr int64_t kMaxRetry = 3600;

std::string TimeOrEmpty(int64_t t) {
  return t > 0 ? x509::Rfc3339(t) : std::string();
}

}  // namespace

void CountRevocationCheck(const char* source, const char* result) {
  static auto& family = metrics::Default().CounterFamily(
      "edgesec_revocation_checks_total",
      "Revocation lookups (CRL fetches, OCSP requests) by source and result: good (an answer that "
      "counts), refused (forged or malformed), unavailable (no answer).",
      {"source", "result"});
  family.With({source, result}).Inc();
}

Revocations::Revocations(const Clock& clock, const std::string& cache_dir)
    : clock_(clock), cache_(cache_dir, clock) {}

void Revocations::SetRefresh(int64_t seconds) {
  std::lock_guard lock(mutex_);
  refresh_ = seconds > 0 ? seconds : 86400;
}

int64_t Revocations::NextRefresh(const revocation::CrlTimes& t, int64_t now) {
  // At nextUpdate (the issuer publishes the next CRL then), spread over a little jitter so that a
  // fleet does not ask at the same second; without one, every `refresh`.
  int64_t base = t.next_update && *t.next_update > now ? *t.next_update : now + refresh_;
  if (t.next_update && *t.next_update <= now)  // served a stale CRL: look again soon
    base = now + std::clamp<int64_t>(refresh_ / 24, kFirstRetry, kMaxRetry);
  int64_t spread = std::clamp<int64_t>((base - now) / 100, 1, 300);
  return base + static_cast<int64_t>(jitter_() % static_cast<uint64_t>(spread));
}

int64_t Revocations::Backoff(int failures) const {
  int64_t cap = std::min<int64_t>(kMaxRetry, refresh_);
  return std::min<int64_t>(cap, kFirstRetry << std::min(failures - 1, 16));
}

void Revocations::AskOcsp(const RevocationTarget& t, OcspState& o, int64_t now) {
  std::string why;
  const char* result = "unavailable";
  auto request = revocation::BuildOcspRequest(t.cert, t.issuer);
  for (const std::string& url : t.ocsp_urls) {
    if (!request) break;
    auto body = revocation::Fetch({url, *request, "application/ocsp-request", 15, {}});
    if (!body) {
      why = "OCSP responder '" + url + "' cannot be reached (" + body.error().message + ")";
      continue;
    }
    auto answer = revocation::CheckOcspResponse(*body, t.cert, t.issuer, now);
    if (!answer) {
      why = "OCSP answer of '" + url + "' is refused: " + answer.error().message;
      result = "refused";
      continue;
    }
    o.answer = *answer;
    o.failures = 0;
    o.last_error.clear();
    o.checked_at = now;
    o.next_fetch = NextRefresh({answer->this_update, answer->next_update}, now);
    CountRevocationCheck("ocsp", "good");
    return;
  }
  if (!request) why = "cannot build the OCSP request: " + request.error().message;
  ++o.failures;
  int64_t wait = Backoff(o.failures);
  o.next_fetch = now + wait;
  o.last_error = why;
  CountRevocationCheck("ocsp", result);
  log::Warning("certd: cert '" + t.id + "': " + why + "; " +
               (o.answer ? "the last good answer stays in force" : "the CRLs decide meanwhile") +
               "; next try in " + std::to_string(wait) + " s");
}

std::optional<Revocations::CertState> Revocations::FromOcsp(
    const RevocationTarget& t, const OcspState& o, int64_t now,
    std::vector<FoundRevoked>* found) const {
  if (!o.answer || o.answer->state == "unknown") return std::nullopt;
  if (o.answer->next_update && *o.answer->next_update < now) return std::nullopt;
  CertState c;
  c.source = "ocsp";
  c.state = o.answer->state;
  c.checked_at = o.checked_at;
  c.next_update = o.answer->next_update;
  c.last_error = o.last_error;
  if (c.state == "revoked")
    found->push_back({t.id, t.sha256, {o.answer->revoked_at, o.answer->reason}, "ocsp"});
  return c;
}

void Revocations::Failed(const std::string& url, UrlState& u, const std::string& why,
                         const char* result, int64_t now) {
  ++u.failures;
  int64_t wait = Backoff(u.failures);
  u.next_fetch = now + wait;
  u.last_error = why;
  CountRevocationCheck("crl", result);
  log::Warning("certd: CRL '" + url + "' " + why + "; " +
               (u.crl ? "the last good CRL stays in force" : "no CRL from it is known yet") +
               "; next try in " + std::to_string(wait) + " s");
}

void Revocations::LoadCached(const std::string& url, UrlState& u, X509* issuer, int64_t now) {
  u.cache_tried = true;
  auto cached = cache_.Load(url);
  if (!cached) return;
  auto times = revocation::TimesOf(cached->get());
  Status ok = times ? revocation::VerifyCrl(cached->get(), issuer, now) : Status(times.error());
  if (!ok) {
    log::Warning("certd: the cached CRL of '" + url + "' does not count (" + ok.error().message +
                 "); it is fetched again");
    return;
  }
  u.crl = std::move(*cached);
  u.times = *times;
  u.checked_at = now;
  // Fresh: no fetch before its nextUpdate (a restart asks nobody); stale: fetch now.
  u.next_fetch = u.times.next_update && *u.times.next_update > now ? NextRefresh(u.times, now) : 0;
}

void Revocations::Refresh(const std::string& url, UrlState& u, X509* issuer, int64_t now) {
  auto body = revocation::Fetch({url, {}, {}, 15, {}});
  if (!body)
    return Failed(url, u, "cannot be fetched (" + body.error().message + ")", "unavailable", now);
  auto crl = revocation::ParseCrl(*body);
  if (!crl) return Failed(url, u, "is refused: " + crl.error().message, "refused", now);
  if (Status st = revocation::VerifyCrl(crl->get(), issuer, now); !st)
    return Failed(url, u, "is refused: " + st.error().message, "refused", now);
  auto times = revocation::TimesOf(crl->get());
  if (!times) return Failed(url, u, "is refused: " + times.error().message, "refused", now);
  if (u.crl && times->this_update < u.times.this_update)
    return Failed(url, u,
                  "is refused: it is older than the CRL in force (thisUpdate " +
                      x509::Rfc3339(times->this_update) + ")",
                  "refused", now);
  if (Status st = cache_.Save(url, crl->get()); !st)
    log::Warning("certd: cannot cache the CRL of '" + url + "': " + st.error().message);
  u.crl = std::move(*crl);
  u.times = *times;
  u.failures = 0;
  u.last_error.clear();
  u.checked_at = now;
  u.next_fetch = NextRefresh(u.times, now);
  CountRevocationCheck("crl", "good");
}

Revocations::CertState Revocations::Evaluate(const RevocationTarget& t, int64_t now,
                                             std::vector<FoundRevoked>* found) {
  CertState c;
  if (!t.issuer) {
    c.last_error = "the cert's issuer is not among the certs certd holds";
    return c;
  }
  bool any = false;
  for (const std::string& url : t.crl_urls) {
    UrlState& u = urls_[url];
    if (!u.last_error.empty()) c.last_error = "CRL '" + url + "' " + u.last_error;
    if (!u.crl) continue;
    if (Status st = revocation::VerifyCrl(u.crl.get(), t.issuer, now); !st) {
      c.last_error = "CRL '" + url + "' does not count for this cert: " + st.error().message;
      continue;
    }
    if (!any) c.state = "good";
    any = true;
    c.checked_at = std::max(c.checked_at, u.checked_at);
    if (u.times.next_update && (!c.next_update || *u.times.next_update < *c.next_update))
      c.next_update = u.times.next_update;
    if (auto entry = revocation::FindRevoked(u.crl.get(), t.cert)) {
      if (c.state != "revoked") found->push_back({t.id, t.sha256, *entry});
      c.state = "revoked";
    }
  }
  c.stale = any && c.next_update && *c.next_update < now;
  return c;
}

Revocations::Pass Revocations::Run(const std::vector<RevocationTarget>& targets,
                                   const std::string& force_id) {
  std::lock_guard lock(mutex_);
  int64_t now = clock_.Now();
  Pass pass;
  std::set<std::string> fetched, used, asked;
  std::map<std::string, CertState> certs;
  for (const RevocationTarget& t : targets) {
    std::optional<CertState> by_ocsp;
    if (!t.ocsp_urls.empty() && t.issuer) {
      asked.insert(t.id);
      OcspState& o = ocsp_[t.id];
      if (o.sha256 != t.sha256) {  // a new cert under the id: nothing known of it yet
        o = OcspState();
        o.sha256 = t.sha256;
      }
      if (now >= o.next_fetch || t.id == force_id) AskOcsp(t, o, now);
      if (!pass.next_at || o.next_fetch < *pass.next_at) pass.next_at = o.next_fetch;
      by_ocsp = FromOcsp(t, o, now, &pass.revoked);
    }
    if (by_ocsp) {  // OCSP decides: the CRLs are not fetched for this cert
      certs[t.id] = *by_ocsp;
      continue;
    }
    for (const std::string& url : t.crl_urls) {
      used.insert(url);
      if (!t.issuer) continue;
      UrlState& u = urls_[url];
      if (!u.cache_tried) LoadCached(url, u, t.issuer, now);
      bool due = now >= u.next_fetch || t.id == force_id;
      if (due && fetched.insert(url).second) Refresh(url, u, t.issuer, now);
      if (!pass.next_at || u.next_fetch < *pass.next_at) pass.next_at = u.next_fetch;
    }
    CertState c = Evaluate(t, now, &pass.revoked);
    if (auto it = ocsp_.find(t.id); it != ocsp_.end()) {
      const OcspState& o = it->second;
      if (!o.last_error.empty()) c.last_error = o.last_error;
      if (t.crl_urls.empty() && o.answer && o.answer->state != "unknown") {
        // Only OCSP, its last answer past nextUpdate: it holds, stale.
        c.source = "ocsp";
        c.state = o.answer->state;
        c.checked_at = o.checked_at;
        c.next_update = o.answer->next_update;
        c.stale = true;
      }
    }
    certs[t.id] = c;
  }
  std::erase_if(urls_, [&](const auto& kv) { return used.count(kv.first) == 0; });
  std::erase_if(ocsp_, [&](const auto& kv) { return asked.count(kv.first) == 0; });
  certs_ = std::move(certs);
  return pass;
}

std::optional<api::RevocationInfo> Revocations::InfoOf(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = certs_.find(id);
  if (it == certs_.end()) return std::nullopt;
  const CertState& c = it->second;
  return api::RevocationInfo{c.state,
                             c.source,
                             TimeOrEmpty(c.checked_at),
                             c.next_update ? x509::Rfc3339(*c.next_update) : std::string(),
                             c.last_error,
                             c.stale};
}

std::map<std::string, bool> Revocations::Staleness() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, bool> out;
  for (const auto& [id, c] : certs_) out[id] = c.stale;
  return out;
}

}  // namespace edgesec::certd

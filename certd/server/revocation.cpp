// What certd does about the revocation of the certs it holds (docs/certd.md, "Revocation"): the
// pass the scheduler runs with its renewals (no timer of its own), and the reaction to a revoked
// cert — recorded in the cert's history (status `revoked`), one error line and one audit event
// `cert.revoke` per cert (not per refresh), and for a credential (est, local_ca, self_signed) a
// new cert with a new key at once, with history reason `revoked`.
#include <algorithm>

#include "certd/server/generation_scope.hpp"
#include "certd/server/service.hpp"
#include "common/log.hpp"
#include "common/x509/details.hpp"
#include "common/x509/time.hpp"
#include "keyd/client/audit_report.hpp"

namespace edgesec::certd {
namespace {

constexpr int64_t kReissueFirstRetry = 60;
constexpr int64_t kReissueMaxRetry = 3600;

}  // namespace

std::vector<RevocationTarget> CertService::RevocationTargets(
    std::vector<edgesec::x509::Chain>* keep) {
  auto ids = store_->Ids();
  if (!ids) return {};
  std::vector<std::string> held;
  for (const std::string& id : *ids) {
    auto stored = store_->Get(id);
    if (!stored || !*stored) continue;
    auto chain = edgesec::x509::ParsePemChain((*stored)->pem);
    if (!chain || chain->empty()) continue;
    keep->push_back(std::move(*chain));
    held.push_back(id);
  }
  std::vector<X509*> candidates;  // every cert of every chain certd holds
  for (const auto& chain : *keep)
    for (const auto& cert : chain) candidates.push_back(cert.get());
  std::vector<RevocationTarget> targets;
  for (size_t i = 0; i < keep->size(); ++i) {
    X509* leaf = (*keep)[i].front().get();
    std::vector<std::string> urls = revocation::CrlUrls(leaf);
    std::vector<std::string> ocsp = revocation::OcspUrls(leaf);
    if (urls.empty() && ocsp.empty()) continue;
    std::vector<X509*> own;  // the cert's own chain first
    for (size_t j = 1; j < (*keep)[i].size(); ++j) own.push_back((*keep)[i][j].get());
    X509* issuer = revocation::FindIssuer(leaf, own);
    if (!issuer) issuer = revocation::FindIssuer(leaf, candidates);
    targets.push_back(
        {held[i], edgesec::x509::Sha256Fingerprint(leaf), leaf, issuer, urls, std::move(ocsp)});
  }
  return targets;
}

std::optional<int64_t> CertService::RevocationPass(const std::string& force_id) {
  std::lock_guard pass_lock(revocation_pass_mutex_);
  std::vector<edgesec::x509::Chain> keep;
  std::vector<RevocationTarget> targets;
  if (Snapshot()->config.revocation_check) targets = RevocationTargets(&keep);
  Revocations::Pass pass = revocations_->Run(targets, force_id);
  std::optional<int64_t> next = pass.next_at;
  for (const FoundRevoked& f : pass.revoked) {
    if (OnRevoked(f)) continue;
    std::lock_guard lock(reissue_mutex_);
    int64_t at = reissue_retry_[f.id].first;
    if (!next || at < *next) next = at;
  }
  return next;
}

bool CertService::OnRevoked(const FoundRevoked& f) {
  if (!history_->IsRevoked(f.id, f.sha256)) {
    // Recorded first: the status is `revoked` from here on, and this runs once per cert.
    if (Status st = history_->MarkRevoked(f.id, f.sha256, {f.entry.at, f.entry.reason}); !st)
      log::Warning("certd: cannot record the revocation of cert '" + f.id +
                   "': " + st.error().message);
    log::Error("certd: cert '" + f.id + "' (SHA-256 " + f.sha256 + ") is revoked since " +
               edgesec::x509::Rfc3339(f.entry.at) + " (reason " + f.entry.reason +
               ") according to its " + (f.source == "ocsp" ? "OCSP responder" : "issuer's CRL"));
    auto stored = store_->Get(f.id);
    Json e = keyd::CertEvent("certd", "cert.revoke", f.id,
                             stored && *stored ? (*stored)->pem : std::string());
    // keyd's audit route takes no other field: the time goes with the reason.
    e["reason"] =
        f.entry.reason + ", revoked at " + edgesec::x509::Rfc3339(f.entry.at) + ", by " + f.source;
    Audit(e);
  }
  auto s = Snapshot();
  auto cred = s->config.credentials.find(f.id);
  if (cred == s->config.credentials.end() || cred->second.method == IssuanceMethod::kPreloaded)
    return true;  // the integrator's or an imported cert: reported, nothing more certd can do
  if (!cred->second.policy.auto_renew) {
    log::Warning("certd: cert '" + f.id +
                 "' is revoked and auto_renew is off: renew it with "
                 "`edgectl cert renew " +
                 f.id + "` (a new key is made)");
    return true;
  }
  int64_t now = Now();
  {
    std::lock_guard lock(reissue_mutex_);
    if (reissue_retry_[f.id].first > now) return false;
  }
  GenerationScope scope(f.id, "issued", "revoked");
  auto pem = RenewCredential(f.id, true, RenewWhen::kAlways, true);
  std::lock_guard lock(reissue_mutex_);
  if (pem) {
    reissue_retry_.erase(f.id);
    log::Notice("certd: cert '" + f.id + "' was revoked and is reissued with a new key");
    return true;
  }
  auto& [at, failures] = reissue_retry_[f.id];
  ++failures;
  int64_t wait = std::min<int64_t>(kReissueMaxRetry, kReissueFirstRetry << std::min(failures, 6));
  at = now + wait;
  log::Error("certd: cert '" + f.id + "' is revoked and could not be reissued (" +
             pem.error().message + "); next try in " + std::to_string(wait) + " s");
  return false;
}

Expected<api::CertInfo> CertService::CheckRevocation(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "check the revocation of"));
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(id));
  if (!stored) return NotFound("cert '" + id + "' not found");
  if (!s->config.revocation_check)
    return InvalidParameter("revocation checking is off ([revocation] check = false)");
  RevocationPass(id);
  renewals_->Wake();  // the next due fetch may have moved
  EDGESEC_ASSIGN_OR_RETURN(api::CertInfo info, GetInfo(c, id));
  if (!info.revocation)
    return InvalidParameter("cert '" + id +
                            "' names no CRL distribution point or OCSP responder (http or https)");
  return info;
}

}  // namespace edgesec::certd

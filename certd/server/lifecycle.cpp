// The lifecycle of the certs certd holds (docs/certd.md, "Lifecycle: status, type, level,
// history"): status, type and level computed from the cached facts of a stored cert (no parse per
// request), and the history hook: every change of a stored cert records a generation with the
// reason the GenerationScope of the writing thread gives.
#include <openssl/x509.h>

#include "certd/server/generation_scope.hpp"
#include "certd/server/service.hpp"
#include "common/log.hpp"
#include "common/x509/time.hpp"

namespace edgesec::certd {
namespace {

thread_local const GenerationScope* tls_scope = nullptr;

bool Renewable(const CertdConfig& config, const std::string& id) {
  auto it = config.credentials.find(id);
  return it != config.credentials.end() && (it->second.method == IssuanceMethod::kSelfSigned ||
                                            it->second.method == IssuanceMethod::kLocalCa ||
                                            it->second.method == IssuanceMethod::kEst);
}

std::string CredentialKeyId(const CertdConfig& config, const std::string& id) {
  auto it = config.credentials.find(id);
  return it == config.credentials.end() ? std::string() : it->second.key_id;
}

// The issuer certd holds for a local_ca credential's cert: [[credential]] issuer_cert, else
// [local_ca] cert.
std::string LocalIssuerOf(const CertdConfig& config, const std::string& id) {
  auto it = config.credentials.find(id);
  if (it == config.credentials.end() || it->second.method != IssuanceMethod::kLocalCa) return {};
  return it->second.issuer_cert.empty() ? config.local_ca_cert : it->second.issuer_cert;
}

api::GenerationInfo InfoOf(const store::Generation& g, bool current, int64_t now) {
  api::GenerationInfo i;
  i.generation = g.number;
  i.serial = g.serial;
  i.sha256 = g.sha256;
  i.public_key_sha256 = g.public_key_sha256;
  i.key_id = g.key_id;
  i.not_before = edgesec::x509::Rfc3339(g.not_before);
  i.not_after = edgesec::x509::Rfc3339(g.not_after);
  i.origin = g.origin;
  i.reason = g.reason;
  i.from_serial = g.from_serial;
  i.from_sha256 = g.from_sha256;
  i.reissued_at = edgesec::x509::Rfc3339(g.reissued_at);
  i.synthesized = g.synthesized;
  store::CertFacts f;
  f.not_before = g.not_before;
  f.not_after = g.not_after;
  i.status = store::StatusName(store::StatusAt(f, now, g.revoked.has_value(), !current));
  if (g.revoked) {
    i.revoked_at = edgesec::x509::Rfc3339(g.revoked->at);
    i.revocation_reason = g.revoked->reason;
  }
  return i;
}

}  // namespace

GenerationScope::GenerationScope(std::string id, std::string origin, std::string reason)
    : id_(std::move(id)),
      origin_(std::move(origin)),
      reason_(std::move(reason)),
      outer_(tls_scope) {
  tls_scope = this;
}

GenerationScope::~GenerationScope() {
  tls_scope = outer_;
}

const GenerationScope* GenerationScope::For(const std::string& id) {
  for (const GenerationScope* s = tls_scope; s != nullptr; s = s->outer_)
    if (s->id_ == id) return s;
  return nullptr;
}

Status CheckRenewReason(const std::string& reason, std::optional<bool>* rotate_key) {
  if (reason.empty()) return {};
  if (!api::IsRenewReason(reason))
    return InvalidParameter(
        "parameter 'reason' must be manual, revoked, key-compromise or "
        "source-changed, not '" +
        reason + "'");
  if (reason != "key-compromise") return {};
  if (*rotate_key == false)
    return InvalidParameter(
        "parameter 'rotateKey': false contradicts reason 'key-compromise' (a "
        "compromised key is never reused)");
  *rotate_key = true;
  return {};
}

bool CertService::PreloadedKeyKnown(const std::string& id, const std::string& sha256) {
  {
    std::lock_guard lock(preloaded_keys_mutex_);
    if (auto it = preloaded_keys_.find(id);
        it != preloaded_keys_.end() && it->second.first == sha256)
      return it->second.second;
  }
  // An issuer's key defaults to the key of the cert's id (certs_api.hpp, Issuer): asked once per
  // preloaded cert (and again when its file changes), not per request.
  auto handle = Keyd()->GetKeyPair(id);
  if (!handle && handle.error().kind == ErrorKind::kUnavailable) return false;  // ask again later
  std::lock_guard lock(preloaded_keys_mutex_);
  preloaded_keys_[id] = {sha256, handle.has_value()};
  return handle.has_value();
}

std::optional<int> CertService::LevelFor(const State& s, const std::string& id,
                                         const store::CertFacts& f, int depth) {
  std::optional<int> issuer_level;
  std::string issuer = f.is_ca && !f.top_self_issued ? LocalIssuerOf(s.config, id) : "";
  if (!issuer.empty() && issuer != id && depth < 4) {
    auto stored = store_->Get(issuer);
    if (stored && *stored && (*stored)->facts)
      issuer_level = LevelFor(s, issuer, *(*stored)->facts, depth + 1);
  }
  return store::LevelOf(f, issuer_level);
}

api::CertLifecycle CertService::LifecycleFor(const State& s, const std::string& id,
                                             const store::StoredCert& cert) {
  api::CertLifecycle l;
  if (!cert.facts) {  // a preloaded file that does not parse
    l.status = store::StatusName(store::CertStatus::kInactive);
    l.type = store::TypeName(store::CertType::kImportedWithoutKey);
    return l;
  }
  const store::CertFacts& f = *cert.facts;
  store::TypeInputs in;
  in.renewable_credential = Renewable(s.config, id);
  auto doc = history_->Load(id);
  bool revoked = false;
  if (doc && !doc->generations.empty() && doc->generations.back().sha256 == f.sha256) {
    in.issued_by_certd = doc->generations.back().origin == "issued";
    revoked = doc->generations.back().revoked.has_value();
  }
  in.key_known = !cert.key_id.empty() || !CredentialKeyId(s.config, id).empty();
  if (!in.renewable_credential && !in.issued_by_certd && !in.key_known && cert.preloaded)
    in.key_known = PreloadedKeyKnown(id, f.sha256);
  l.status = store::StatusName(store::StatusAt(f, Now(), revoked));
  l.type = store::TypeName(store::TypeOf(in));
  l.level = LevelFor(s, id, f, 0);
  return l;
}

void CertService::RecordCurrent(const State& s, const std::string& id,
                                const store::StoredCert& cert, bool observed) {
  if (!cert.facts) return;
  const store::CertFacts& f = *cert.facts;
  auto doc = history_->Load(id);
  const store::Generation* last =
      doc && !doc->generations.empty() ? &doc->generations.back() : nullptr;
  if (last && last->sha256 == f.sha256) return;
  const GenerationScope* scope = GenerationScope::For(id);
  store::Generation g;
  g.serial = f.serial;
  g.sha256 = f.sha256;
  g.public_key_sha256 = f.public_key_sha256;
  g.key_id = !cert.key_id.empty() ? cert.key_id : CredentialKeyId(s.config, id);
  g.not_before = f.not_before;
  g.not_after = f.not_after;
  // Found without a scope (at start, or after a damaged history): a credential's cert was issued,
  // a file is preloaded, anything else counts as imported (a foreign CSR's cert looks the same).
  bool issued = !observed || Renewable(s.config, id);
  g.origin = scope            ? scope->origin()
             : cert.preloaded ? "preloaded"
             : issued         ? "issued"
                              : "imported";
  // A stored override deleted (the config's file served again) or a preloaded file replaced:
  // source-changed. Any other new cert without a known reason was asked for by a client: manual.
  g.reason = !last            ? "initial"
             : scope          ? scope->reason()
             : cert.preloaded ? "source-changed"
                              : "manual";
  // A file's cert followed by one certd issued on its own (the scheduler, or identityd finding the
  // Edge CA missing): the config stopped naming the file, so the source changed.
  if (last && last->origin == "preloaded" && g.origin == "issued" && g.reason == "threshold")
    g.reason = "source-changed";
  if (last) {
    g.from_serial = last->serial;
    g.from_sha256 = last->sha256;
  }
  g.synthesized = observed && !last;
  g.reissued_at = g.synthesized ? f.not_before : Now();
  if (Status st = history_->Record(id, std::move(g)); !st)
    log::Error("certd: cannot record the history of cert '" + id + "' in '" +
               history_->PathFor(id) + "': " + st.error().Describe());
}

void CertService::OnCertChanged(const std::string& id) {
  auto stored = store_->Get(id);
  if (!stored) return;  // unreadable now: recorded when it is read again
  if (!*stored) {
    // Deleted, and no preloaded file behind it: the history goes with the cert.
    if (Status st = history_->Remove(id); !st)
      log::Error("certd: cannot remove the history of deleted cert '" + id +
                 "': " + st.error().Describe());
    return;
  }
  RecordCurrent(*Snapshot(), id, **stored, false);
}

void CertService::RecordExistingCerts() {
  auto ids = store_->Ids();
  if (!ids) return;
  auto s = Snapshot();
  for (const auto& id : *ids)
    if (auto stored = store_->Get(id); stored && *stored) RecordCurrent(*s, id, **stored, true);
}

Expected<api::CertInfo> CertService::GetInfo(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "read"));
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(id));
  if (!stored) return NotFound("cert '" + id + "' not found");
  return api::CertInfo{stored->pem, LifecycleFor(*s, id, *stored), revocations_->InfoOf(id)};
}

std::optional<api::CertLifecycle> CertService::LifecycleOf(const std::string& id) {
  auto stored = store_->Get(id);
  if (!stored || !*stored) return std::nullopt;
  return LifecycleFor(*Snapshot(), id, **stored);
}

Expected<api::HistoryResponse> CertService::History(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "read"));
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(id));
  if (!stored) return NotFound("cert '" + id + "' not found");
  RecordCurrent(*s, id, *stored, true);  // a preloaded file replaced since: a generation
  auto doc = history_->Load(id);
  api::HistoryResponse r;
  r.cert_id = id;
  if (!doc) return r;  // not writable: empty, the error is logged
  r.dropped = doc->dropped;
  int64_t now = Now();
  for (size_t i = 0; i < doc->generations.size(); ++i)
    r.generations.push_back(InfoOf(doc->generations[i], i + 1 == doc->generations.size(), now));
  return r;
}

}  // namespace edgesec::certd

// The renewal state as the API shows it (GET /credentials), the change events (GET /events), and
// keeping the renewal Tracker in step with the config and the store.
#include "certd/server/service.hpp"
#include "common/log.hpp"
#include "common/x509/details.hpp"

namespace edgesec::certd {

void CertService::OnStoreChange(const std::string& id) {
  RefreshCert(id);
  events_.Bump(id);
  if (scheduler_) scheduler_->Wake();
}

void CertService::RefreshCert(const std::string& id) {
  std::optional<renewal::CertTimes> times;
  auto stored = store_->Get(id);
  if (stored && *stored) {
    auto chain = edgesec::x509::ParsePemChain((*stored)->pem);
    if (chain) {
      X509* leaf = chain->front().get();
      auto nb = edgesec::x509::ToEpoch(X509_get0_notBefore(leaf));
      auto na = edgesec::x509::ToEpoch(X509_get0_notAfter(leaf));
      if (nb && na) times = renewal::CertTimes{*nb, *na, edgesec::x509::Sha256Fingerprint(leaf)};
    } else {
      log::Warning("certd: cert '" + id +
                   "' is not a readable PEM chain: " + chain.error().message);
    }
  } else if (!stored) {
    log::Warning("certd: cannot read cert '" + id + "': " + stored.error().message);
  }
  tracker_->SetCert(id, std::move(times));
}

void CertService::ApplyPolicies(const CertdConfig& config) {
  std::map<std::string, renewal::Policy> policies;
  for (const auto& [id, cred] : config.credentials) policies[id] = cred.policy;
  // Preloaded certs without a credential are watched for expiry, never renewed.
  for (const auto& [id, path] : config.preloaded_certs) {
    if (policies.count(id)) continue;
    renewal::Policy p;
    p.auto_renew = false;
    policies[id] = p;
  }
  tracker_->SetRetryFloor(config.retry_floor);
  tracker_->SetPolicies(policies);
  for (const auto& [id, p] : policies) RefreshCert(id);
}

api::CredentialStatus CertService::StatusOf(const certd::Credential& cred) const {
  api::CredentialStatus st;
  st.cert_id = cred.cert_id;
  st.method = IssuanceMethodName(cred.method);
  st.auto_renew = cred.policy.auto_renew;
  auto stored = store_->Get(cred.cert_id);
  st.key_id = stored && *stored && !(*stored)->key_id.empty() ? (*stored)->key_id : cred.key_id;
  auto view = tracker_->View(cred.cert_id);
  if (!view) {
    st.state = "missing";
    return st;
  }
  int64_t now = Now();
  st.state = view->StateName(now);
  if (view->decision.at)
    st.next_renewal = edgesec::x509::Rfc3339(std::max(*view->decision.at, now));
  if (view->state.last_attempt > 0)
    st.last_attempt = edgesec::x509::Rfc3339(view->state.last_attempt);
  st.attempts = view->state.attempts;
  st.last_error = view->state.attempts > 0 ? view->state.last_error : view->decision.error;
  if (view->cert) st.not_after = edgesec::x509::Rfc3339(view->cert->not_after);
  return st;
}

Expected<std::vector<api::CredentialStatus>> CertService::Credentials(const Caller& c) {
  auto s = Snapshot();
  std::vector<api::CredentialStatus> out;
  for (const auto& [id, cred] : s->config.credentials)
    if (MayUse(s->config, c.uid, id)) out.push_back(StatusOf(cred));
  return out;
}

Expected<api::CredentialStatus> CertService::Credential(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "read"));
  auto it = s->config.credentials.find(id);
  if (it == s->config.credentials.end())
    return NotFound("no credential '" + id + "' in certd's config");
  return StatusOf(it->second);
}

Expected<api::EventsResponse> CertService::Events(const Caller& c, uint64_t since,
                                                  int64_t timeout_ms) {
  renewal::EventsAnswer a = events_.Wait(since, timeout_ms);
  auto s = Snapshot();
  api::EventsResponse r;
  r.seq = a.seq;
  r.reset = a.reset;
  for (auto& id : a.changed)
    if (MayUse(s->config, c.uid, id)) r.changed.push_back(std::move(id));
  return r;
}

}  // namespace edgesec::certd

// The renewal state as the API shows it (GET /credentials) and the change events (GET /events);
// the bookkeeping behind both is renewals.hpp's.
#include "certd/server/service.hpp"
#include "common/log.hpp"
#include "common/x509/details.hpp"

namespace edgesec::certd {
namespace {

// The renewal state, with the longest 202 wait of an est credential (edgesec: maxWait).
api::CredentialStatus WithMaxWait(api::CredentialStatus st, const CertdConfig& config,
                                  const certd::Credential& cred) {
  if (cred.method == IssuanceMethod::kEst) st.max_wait_seconds = config.est.max_wait_seconds;
  return st;
}

}  // namespace

Expected<std::vector<api::CredentialStatus>> CertService::Credentials(const Caller& c) {
  auto s = Snapshot();
  std::vector<api::CredentialStatus> out;
  for (const auto& [id, cred] : s->config.credentials)
    if (MayUse(s->config, c.uid, id)) out.push_back(WithMaxWait(renewals_->StatusOf(cred), s->config, cred));
  return out;
}

Expected<api::CredentialStatus> CertService::Credential(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "read"));
  auto it = s->config.credentials.find(id);
  if (it == s->config.credentials.end())
    return NotFound("no credential '" + id + "' in certd's config");
  return WithMaxWait(renewals_->StatusOf(it->second), s->config, it->second);
}

Expected<api::EventsResponse> CertService::Events(const Caller& c, uint64_t since,
                                                  int64_t timeout_ms) {
  renewal::EventsAnswer a = renewals_->events().Wait(since, timeout_ms);
  auto s = Snapshot();
  api::EventsResponse r;
  r.seq = a.seq;
  r.reset = a.reset;
  for (auto& id : a.changed)
    if (MayUse(s->config, c.uid, id)) r.changed.push_back(std::move(id));
  return r;
}

}  // namespace edgesec::certd

#include "certd/server/renewals.hpp"

#include "certd/est/server_error.hpp"
#include "certd/server/cert_metrics.hpp"
#include "common/log.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "common/x509/time.hpp"

namespace edgesec::certd {
namespace {

void LogExpiryWarning(const renewal::Warning& w) {
  int64_t d = w.delta;
  std::string span = d % 86400 == 0  ? std::to_string(d / 86400) + "d"
                     : d % 3600 == 0 ? std::to_string(d / 3600) + "h"
                                     : std::to_string(d / 60) + "m";
  std::string when = d == 0 ? "has expired" : "expires within " + span;
  log::Warning("certd: cert '" + w.id + "' (sha256 " + w.cert.fingerprint + ") " + when +
               " (notAfter " + edgesec::x509::Rfc3339(w.cert.not_after) + ")");
}

}  // namespace

Expected<std::unique_ptr<Renewals>> Renewals::Create(const Clock& clock, store::CertStore& store,
                                                     const std::string& state_file,
                                                     const CertdConfig& config) {
  auto r = std::unique_ptr<Renewals>(new Renewals(clock, store));
  r->tracker_ = std::make_unique<renewal::Tracker>(clock, state_file, config.retry_floor);
  EDGESEC_TRY(r->tracker_->Load());
  return r;
}

Renewals::~Renewals() {
  Shutdown();
}

void Renewals::Apply(const CertdConfig& config) {
  std::map<std::string, renewal::Policy> policies;
  for (const auto& [id, cred] : config.credentials) {
    policies[id] = cred.policy;
    if (cred.method == IssuanceMethod::kLocalCa)
      policies[id].issued_by = cred.issuer_cert.empty() ? config.local_ca_cert : cred.issuer_cert;
  }
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
  if (scheduler_) {
    scheduler_->SetTick(config.renewal_tick);
    scheduler_->Wake();
  }
}

void Renewals::OnStoreChange(const std::string& id) {
  RefreshCert(id);
  events_.Bump(id);
  if (scheduler_) scheduler_->Wake();
}

void Renewals::RefreshCert(const std::string& id) {
  std::optional<renewal::CertTimes> times;
  auto stored = store_.Get(id);
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

bool Renewals::StillValid(const std::string& pem) const {
  auto chain = edgesec::x509::ParsePemChain(pem);
  if (!chain) return false;
  auto not_after = edgesec::x509::ToEpoch(X509_get0_notAfter(chain->front().get()));
  return not_after && *not_after > clock_.Now();
}

Expected<std::string> Renewals::Run(const std::string& id, RenewWhen when, const RenewFn& renew) {
  if (when != RenewWhen::kAlways) {
    auto view = tracker_->View(id);
    bool due = view && view->decision.at && *view->decision.at <= clock_.Now();
    if (when == RenewWhen::kIfDue && !due) return std::string();
    if (when == RenewWhen::kIfNeeded && !due) {
      EDGESEC_ASSIGN_OR_RETURN(auto stored, store_.Get(id));
      if (stored && StillValid(stored->pem)) return stored->pem;  // valid and not due: keep it
    }
  }
  auto before = tracker_->View(id);
  bool had_cert = before && before->cert.has_value();
  tracker_->Begin(id);
  Expected<std::string> pem = renew();
  CountRenewal(id, pem.has_value());
  if (pem) {
    tracker_->Succeeded(id);
    return pem;
  }
  tracker_->Failed(id, pem.error().message);
  auto view = tracker_->View(id);
  std::string next =
      view && view->decision.at ? edgesec::x509::Rfc3339(*view->decision.at) : "never";
  if (est::IsReenrollWindowClosed(pem.error())) {  // "not yet", not a failure
    log::Info("certd: the EST server does not re-enroll cert '" + id +
              "' yet (its re-enrollment window is not open); scheduled retry at " + next);
    return pem;
  }
  std::string attempt = "(attempt " + std::to_string(view ? view->state.attempts : 0) + ")";
  if (had_cert)
    log::Warning("certd: renewing cert '" + id + "' failed " + attempt +
                 ", the current cert stays in use; next attempt at " + next + ": " +
                 pem.error().Describe());
  else  // nothing to keep in use: the credential has no cert yet
    log::Warning("certd: the first enrollment of cert '" + id + "' failed " + attempt +
                 ", there is no cert yet; next attempt at " + next + ": " + pem.error().Describe());
  return pem;
}

api::CredentialStatus Renewals::StatusOf(const Credential& cred) const {
  api::CredentialStatus st;
  st.cert_id = cred.cert_id;
  st.method = IssuanceMethodName(cred.method);
  st.auto_renew = cred.policy.auto_renew;
  auto stored = store_.Get(cred.cert_id);
  st.key_id = stored && *stored && !(*stored)->key_id.empty() ? (*stored)->key_id : cred.key_id;
  auto view = tracker_->View(cred.cert_id);
  if (!view) {
    st.state = "missing";
    return st;
  }
  int64_t now = clock_.Now();
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

void Renewals::StartScheduler(int64_t tick, std::function<void(const std::string&)> due,
                              renewal::Scheduler::ExtraFn extra) {
  if (scheduler_) return;
  scheduler_ =
      std::make_unique<renewal::Scheduler>(clock_, *tracker_, std::move(due), LogExpiryWarning);
  if (extra) scheduler_->SetExtra(std::move(extra));
  scheduler_->Start(tick);
}

void Renewals::Wake() {
  if (scheduler_) scheduler_->Wake();
}

void Renewals::Shutdown() {
  events_.Shutdown();
  if (scheduler_) scheduler_->Stop();
}

}  // namespace edgesec::certd

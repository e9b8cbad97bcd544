#include "certd/server/service.hpp"

#include <fnmatch.h>
#include <unistd.h>

#include "certd/server/generation_scope.hpp"
#include "certd/x509/issue.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/x509/details.hpp"
#include "common/x509/validate.hpp"
#include "keyd/client/audit_report.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {

bool MayUse(const CertdConfig& config, uid_t caller, const std::string& id) {
  if (caller == 0 || caller == ::getuid()) return true;
  for (const Principal& p : config.principals) {
    if (p.uid != caller) continue;
    for (const std::string& glob : p.cert_globs)
      if (::fnmatch(glob.c_str(), id.c_str(), 0) == 0) return true;
  }
  return false;
}

CertService::CertService(Layout layout, std::shared_ptr<const Clock> clock)
    : layout_(std::move(layout)), clock_(std::move(clock)) {}

CertService::~CertService() {
  Shutdown();
}

Expected<std::unique_ptr<CertService>> CertService::Create(const Layout& layout,
                                                           const CertdConfig& config,
                                                           std::shared_ptr<const Clock> clock) {
  if (!clock) clock = std::make_shared<SystemClock>();
  auto service = std::unique_ptr<CertService>(new CertService(layout, std::move(clock)));
  CertService* self = service.get();
  std::string state_dir = layout.ServiceStateDir("certd");
  EDGESEC_ASSIGN_OR_RETURN(service->store_,
                           store::CertStore::Open(state_dir, config.preloaded_certs));
  service->est_ = std::make_unique<EstIssuer>(*service->store_, *service->clock_);
  EDGESEC_ASSIGN_OR_RETURN(
      service->renewals_,
      Renewals::Create(*service->clock_, *service->store_, state_dir + "/renewal.json", config));
  EDGESEC_ASSIGN_OR_RETURN(service->history_, store::History::Open(state_dir));
  service->revocations_ =
      std::make_unique<Revocations>(*service->clock_, state_dir + "/revocation");
  service->store_->SetOnChange([self](const std::string& id) {
    self->renewals_->OnStoreChange(id);
    self->OnCertChanged(id);
  });
  EDGESEC_TRY(service->Reload(config));
  service->RecordExistingCerts();
  return service;
}

Status CertService::Reload(const CertdConfig& config) {
  auto state = std::make_shared<State>(State{config});
  std::string socket = config.keyd_socket.empty() ? layout_.Socket("keyd") : config.keyd_socket;
  auto keyd = std::make_shared<keyd::KeydClient>(socket);
  store_->SetPreloaded(config.preloaded_certs);
  issuers_.Clear();  // a new keyd socket or new preloaded files: load issuers afresh
  {
    std::lock_guard lock(state_mutex_);
    state_ = std::move(state);
    keyd_ = std::move(keyd);
  }
  renewals_->Apply(config);
  revocations_->SetRefresh(config.revocation_refresh);
  return {};
}

void CertService::StartScheduler() {
  renewals_->StartScheduler(
      Snapshot()->config.renewal_tick, [this](const std::string& id) { ScheduledRenewal(id); },
      [this](int64_t) { return RevocationPass(); });
}

void CertService::Shutdown() {
  if (renewals_) renewals_->Shutdown();
}

std::shared_ptr<const CertService::State> CertService::Snapshot() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

std::shared_ptr<keyd::KeydClient> CertService::Keyd() const {
  std::lock_guard lock(state_mutex_);
  return keyd_;
}

Status CertService::Authorize(const State& s, const Caller& c, const std::string& id,
                              const char* action) const {
  EDGESEC_TRY(ValidateId(id, "cert id"));
  if (MayUse(s.config, c.uid, id)) return {};
  return MakeError(
      ErrorKind::kUnauthorized,
      "user " + std::to_string(c.uid) + " is not authorized to " + action + " cert '" + id + "'");
}

Expected<std::string> CertService::Import(const Caller& c, const std::string& id,
                                          const std::string& pem, const std::string& key_id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "import"));
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, edgesec::x509::ParsePemChain(pem));
  EDGESEC_TRY(edgesec::x509::ValidateForImport(chain, Now()));
  EDGESEC_ASSIGN_OR_RETURN(std::string normalized, edgesec::x509::ChainToPem(chain));
  if (!key_id.empty()) EDGESEC_TRY(ValidateId(key_id, "parameter 'keyId'"));
  GenerationScope scope(id, "imported", "manual");
  EDGESEC_TRY(store_->Put(id, normalized, key_id));
  log::Info("certd: imported cert '" + id + "'");
  Audit(keyd::CertEvent("certd", "cert.import", id, normalized));
  return normalized;
}

Expected<std::string> CertService::Get(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "read"));
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(id));
  if (!stored) return NotFound("cert '" + id + "' not found");
  return stored->pem;
}

Status CertService::Delete(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "delete"));
  EDGESEC_ASSIGN_OR_RETURN(bool removed, store_->Remove(id));
  if (removed) Audit(keyd::CertEvent("certd", "cert.delete", id, ""));
  if (!store_->IsPreloaded(id)) return {};
  // Deleting a preloaded cert and seeing it come back would surprise: say so. Removing a stored
  // cert that overrode the preloaded file is fine (the preloaded one is served again).
  if (removed) {
    log::Notice("certd: deleted the stored cert that overrode preloaded cert '" + id +
                "'; the preloaded file is "
                "served again");
    return {};
  }
  std::string file = s->config.preloaded_certs.count(id) ? s->config.preloaded_certs.at(id) : "";
  return InvalidParameter("certificate '" + id + "' is preloaded from '" + file +
                          "' and cannot be deleted; remove it "
                          "from [preloaded_certs] in certd's config");
}

Expected<std::vector<api::CertSummary>> CertService::List(const Caller& c) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(auto ids, store_->Ids());
  std::vector<api::CertSummary> out;
  for (const auto& id : ids) {
    if (!MayUse(s->config, c.uid, id)) continue;
    auto stored = store_->Get(id);
    if (!stored || !*stored) continue;
    auto chain = edgesec::x509::ParsePemChain((*stored)->pem);
    if (!chain) {
      log::Warning("certd: cert '" + id +
                   "' is not a readable PEM chain: " + chain.error().message);
      continue;
    }
    auto d = edgesec::x509::Describe(chain->front().get(), Now());
    if (!d) continue;
    api::CertSummary e{id,
                       d->subject,
                       d->issuer,
                       edgesec::x509::Rfc3339(d->not_before),
                       edgesec::x509::Rfc3339(d->not_after),
                       d->sha256,
                       "",
                       (*stored)->preloaded};
    if (auto cred = s->config.credentials.find(id); cred != s->config.credentials.end())
      e.key_id = cred->second.key_id;
    if (!(*stored)->key_id.empty())
      e.key_id = (*stored)->key_id;  // the record's (a rotated key's versioned id)
    e.lifecycle = LifecycleFor(*s, id, **stored);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace edgesec::certd

#include "daemon/server/service.hpp"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "daemon/server/module_certs.hpp"
#include "daemon/server/trust_refresh.hpp"
#include "keyd/client/audit_report.hpp"

namespace edgesec::identityd {
namespace {

Error Unauthorized(uid_t uid, const std::string& what) {
  return MakeError(ErrorKind::kUnauthorized,
                   "user " + std::to_string(uid) + " is not authorized to " + what);
}

// certd's renewal state of a credential (GET /credentials/{id}); nullopt when certd has none.
std::optional<Json> CredentialState(certd::CertdClient& certd, const std::string& id) {
  auto st = certd.GetCredential(id);
  if (!st) return std::nullopt;
  return st->ToJson();
}

std::string CommonNameOf(X509* cert) {
  char buf[256] = {0};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

IdentityService::IdentityService(const Layout& layout, std::shared_ptr<const Clock> clock)
    : layout_(layout),
      clock_(clock),
      edge_ca_(layout.ServiceStateDir("identityd"), clock),
      modules_(layout.ServiceStateDir("identityd")) {}

Expected<std::unique_ptr<IdentityService>> IdentityService::Create(
    const Layout& layout, const IdentitydConfig& config, std::shared_ptr<const Clock> clock) {
  auto service = std::unique_ptr<IdentityService>(new IdentityService(layout, std::move(clock)));
  EDGESEC_TRY(fs::MakeDirs(layout.ServiceStateDir("identityd"), 0700));
  EDGESEC_TRY(service->Reload(config));
  EDGESEC_TRY(service->edge_ca_.Load());
  EDGESEC_TRY(service->modules_.Load());
  IdentityService* self = service.get();
  service->edge_ca_.SetAfterChange(
      [self] { RefreshOsTrust(self->layout_, [self] { return self->TrustBundle(Caller{0}); }); });
  return service;
}

Status IdentityService::Reload(const IdentitydConfig& config) {
  for (const auto& [key, path] :
       {std::pair{"trust_bundle_cert", &config.trust_bundle_cert},
        std::pair{"manifest_trust_bundle_cert", &config.manifest_trust_bundle_cert}}) {
    if (path->empty()) continue;
    auto bundle = fs::ReadFile(*path);
    if (!bundle)
      return MakeError(ErrorKind::kConfig, std::string(key) + " '" + *path +
                                               "' cannot be read: " + bundle.error().message);
    if (auto chain = x509::ParsePemChain(*bundle); !chain)
      return MakeError(ErrorKind::kConfig,
                       std::string(key) + " '" + *path + "': " + chain.error().message);
  }
  auto state = std::make_shared<State>();
  state->config = config;
  state->certd = std::make_shared<certd::CertdClient>(
      config.certd_socket.empty() ? layout_.Socket("certd") : config.certd_socket);
  state->keyd = std::make_shared<keyd::KeydClient>(
      config.keyd_socket.empty() ? layout_.Socket("keyd") : config.keyd_socket);
  edge_ca_.Configure(state->certd, config.edge_ca_cert, config.edge_ca_on_change);
  std::lock_guard lock(mutex_);
  state_ = std::move(state);
  return {};
}

std::shared_ptr<const IdentityService::State> IdentityService::Snapshot() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool IdentityService::IsDeviceCaller(const State& s, uid_t uid) const {
  if (uid == 0 || uid == ::getuid()) return true;
  return std::any_of(s.config.principals.begin(), s.config.principals.end(),
                     [&](const Principal& p) { return p.uid == uid && p.idtype == "device"; });
}

Status IdentityService::AuthorizeModule(const State& s, const Caller& c,
                                        const std::string& module_id) const {
  EDGESEC_TRY(ValidateId(module_id, "module id"));
  if (IsDeviceCaller(s, c.uid) || ListsModule(s, c.uid, module_id)) return {};
  return Unauthorized(c.uid, "act as module '" + module_id + "'");
}

Status IdentityService::AuthorizeDevice(const State& s, const Caller& c, const char* action) const {
  if (IsDeviceCaller(s, c.uid)) return {};
  return Unauthorized(c.uid, action);
}

Expected<api::IssuedCert> IdentityService::Issue(const State& s, const std::string& module_id,
                                                 const std::string& common_name, bool server,
                                                 std::optional<int64_t> not_after) {
  EDGESEC_TRY(edge_ca_.Current());  // an expired or missing Edge CA is renewed first
  ModuleCertPolicy policy{s.config.edge_ca_cert, s.config.module_key_algorithm,
                          s.config.module_validity_days};
  ModuleCertSpec spec{module_id, common_name, server, not_after};
  auto cert = IssueModuleCert(*s.certd, policy, spec, clock_->Now());
  if (!cert && cert.error().kind == ErrorKind::kUnavailable)
    return MakeError(ErrorKind::kUnavailable,
                     "cannot issue a module cert now: certd says: " + cert.error().message);
  if (!cert && cert.error().reason == ErrorReason::kIssuerExpired) {
    // The Edge CA expired between the check and the issuance: renew it, then try once more.
    EDGESEC_TRY(edge_ca_.Renew());
    cert = IssueModuleCert(*s.certd, policy, spec, clock_->Now());
  }
  if (!cert) return cert.error().Context("issuing a cert for module '" + module_id + "'");
  // Never a cert whose issuer is missing from the trust bundle served from now on.
  if (Status st = edge_ca_.TrustIssuerOf(cert->certificate); !st)
    return st.error().Context("issuing a cert for module '" + module_id + "'");
  log::Info(std::string("identityd: issued ") + (server ? "a server" : "an identity") +
            " cert for module '" + module_id + "', CN '" + common_name + "', expires " +
            cert->expiration);
  keyd::ReportAudit(
      *s.keyd, keyd::CertEvent("identityd", "workload.cert.issue", module_id, cert->certificate),
      "identityd");
  return cert;
}

Expected<api::IssuedCert> IdentityService::ServerCert(const Caller& c, const std::string& module_id,
                                                      const std::string& gen_id,
                                                      const api::ServerCertRequest& request) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeModule(*s, c, module_id));
  EDGESEC_TRY(ValidateId(gen_id, "genId"));
  if (ModuleDnsName(module_id).empty())
    return InvalidParameter("module id '" + module_id +
                            "' has no DNS name form (a-z, 0-9 and inner '-') for the server "
                            "cert's subjectAltName");
  std::optional<int64_t> not_after;
  if (request.expiration) {
    auto t = x509::ParseRfc3339(*request.expiration);
    if (!t) return InvalidParameter("parameter 'expiration': " + t.error().message);
    not_after = *t;
  }
  return Issue(*s, module_id, request.common_name, true, not_after);
}

Expected<api::IssuedCert> IdentityService::IdentityCert(const Caller& c,
                                                        const std::string& module_id) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeModule(*s, c, module_id));
  return Issue(*s, module_id, module_id, false, std::nullopt);
}

Expected<std::string> IdentityService::TrustBundle(const Caller&) {
  // Any caller that reaches the socket may read the trust bundle: it holds only public certs.
  auto s = Snapshot();
  EDGESEC_TRY(edge_ca_.Current());
  std::vector<std::string> pems;
  if (!s->config.trust_bundle_cert.empty()) {
    auto text = fs::ReadFile(s->config.trust_bundle_cert);
    if (!text)
      return Internal("trust_bundle_cert '" + s->config.trust_bundle_cert +
                      "' cannot be read: " + text.error().message);
    pems.push_back(*text);
  }
  for (auto& p : edge_ca_.BundlePems()) pems.push_back(std::move(p));
  std::set<std::string> seen;
  std::string bundle;
  for (const auto& pem : pems) {
    auto chain = x509::ParsePemChain(pem);
    if (!chain) continue;
    for (const auto& cert : *chain) {
      if (!seen.insert(x509::Sha256Fingerprint(cert.get())).second) continue;
      EDGESEC_ASSIGN_OR_RETURN(std::string one, x509::ToPem(cert.get()));
      bundle += one;
    }
  }
  return bundle;
}

Expected<Json> IdentityService::Identity(const Caller& c) {
  auto s = Snapshot();
  if (!IsDeviceCaller(*s, c.uid)) {
    for (const Principal& p : s->config.principals) {
      if (p.uid != c.uid) continue;
      for (const auto& m : p.modules)
        if (auto attrs = modules_.Attributes(m)) return LocalIdentity(*s, m, *attrs == "server");
      return NotFound("no module identity exists for the modules of user " + std::to_string(c.uid) +
                      "; create one with POST /identities/modules");
    }
    return Unauthorized(c.uid, "get an identity");
  }
  const auto& cfg = s->config;
  if (cfg.device_cert.empty())
    return NotFound(
        "no device identity is configured; set [device_identity] cert_id in identityd's config");
  auto cred = CredentialState(*s->certd, cfg.device_cert);
  auto pem = s->certd->Get(cfg.device_cert);
  if (!pem) {
    if (pem.error().kind != ErrorKind::kNotFound)
      return MakeError(ErrorKind::kUnavailable,
                       "cannot read the device identity from certd: " + pem.error().message);
    std::string why = "the device identity '" + cfg.device_cert + "' is being enrolled";
    if (cred && (*cred).value("lastError", Json()).is_string())
      why += "; the last attempt failed: " + (*cred)["lastError"].get<std::string>();
    return MakeError(ErrorKind::kUnavailable, why);
  }
  std::string key_id = cfg.device_key;
  if (cred && (*cred).value("keyId", Json()).is_string())
    key_id = (*cred)["keyId"].get<std::string>();
  auto handle = s->keyd->GetKeyPair(key_id);
  if (!handle)
    return MakeError(
        handle.error().kind == ErrorKind::kNotFound ? ErrorKind::kUnavailable : handle.error().kind,
        "the device identity's key '" + key_id +
            "' is not available from keyd: " + handle.error().message);
  std::string device_id = cfg.device_id;
  if (device_id.empty()) {
    auto chain = x509::ParsePemChain(*pem);
    if (chain) device_id = CommonNameOf(chain->front().get());
  }
  return api::DeviceIdentity{device_id, *handle, cfg.device_cert}.ToJson();
}

Expected<Json> IdentityService::LocalIdentity(const State& s, const std::string& module_id,
                                              bool server) {
  EDGESEC_ASSIGN_OR_RETURN(api::IssuedCert cert,
                           Issue(s, module_id, module_id, server, std::nullopt));
  return api::LocalIdentity{module_id, std::move(cert)}.ToJson();
}

Expected<api::ListModulesResponse> IdentityService::ListModules(const Caller& c) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeDevice(*s, c, "list module identities"));
  api::ListModulesResponse list;
  for (const auto& [id, attrs] : modules_.All()) list.identities.push_back({id, attrs});
  return list;
}

Expected<Json> IdentityService::CreateModule(const Caller& c,
                                             const api::CreateModuleRequest& request) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeDevice(*s, c, "create module identities"));
  EDGESEC_TRY(ValidateId(request.module_id, "module id"));
  if (request.type != "local")
    return InvalidParameter(
        "parameter 'type': only \"local\" module identities are served; "
        "IoT Hub identities are outside edgesec");
  bool server = request.attributes == "server";
  EDGESEC_ASSIGN_OR_RETURN(Json identity, LocalIdentity(*s, request.module_id, server));
  EDGESEC_TRY(modules_.Put(request.module_id, request.attributes));
  return identity;
}

Expected<Json> IdentityService::GetModule(const Caller& c, const std::string& module_id) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeModule(*s, c, module_id));
  auto attrs = modules_.Attributes(module_id);
  if (!attrs) return NotFound("module identity '" + module_id + "' not found");
  return LocalIdentity(*s, module_id, *attrs == "server");
}

Status IdentityService::DeleteModule(const Caller& c, const std::string& module_id) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeDevice(*s, c, "delete module identities"));
  EDGESEC_TRY(ValidateId(module_id, "module id"));
  EDGESEC_ASSIGN_OR_RETURN(bool removed, modules_.Remove(module_id));
  if (!removed) return NotFound("module identity '" + module_id + "' not found");
  return {};
}

Expected<api::EdgeCaStatus> IdentityService::EdgeCaStatus(const Caller& c) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeDevice(*s, c, "read the Edge CA status"));
  EDGESEC_ASSIGN_OR_RETURN(EdgeCaCert current, edge_ca_.Current());
  api::EdgeCaStatus status;
  status.cert_id = s->config.edge_ca_cert;
  status.sha256 = current.sha256;
  status.pem = current.chain_pem;
  if (auto chain = x509::ParsePemChain(current.chain_pem)) {
    if (auto d = x509::Describe(chain->front().get(), clock_->Now()))
      status.details = x509::DetailsJson(*d);
  }
  for (const auto& pem : edge_ca_.BundlePems())
    if (auto ch = x509::ParsePemChain(pem))
      status.trusted.push_back(x509::Sha256Fingerprint(ch->front().get()));
  status.renewal = CredentialState(*s->certd, s->config.edge_ca_cert);
  return status;
}

}  // namespace edgesec::identityd

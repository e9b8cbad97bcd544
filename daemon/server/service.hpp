#pragma once
// identityd's operations, independent of HTTP: the identity API (device identity, local module
// identities, trust bundle) and the workload API (module server and identity certs, trust bundle,
// encrypt/decrypt for a module, manifest trust bundle).
// Each checks the caller first: root and identityd's own uid may do everything; others by
// [[principal]] (`idtype = "device"` gets the device identity and manages module identities;
// `modules = […]` names the modules a caller may act as). Encrypt/decrypt are stricter: only root,
// identityd's own uid and the principals that name the module.
// Errors: kInvalidParameter (bad input), kUnauthorized (401 on identityd.sock, 403 on workload),
// kNotFound, kUnavailable (certd/keyd unreachable, the Edge CA or the device identity not ready —
// with the reason; answered 503 with Retry-After), kInternal.

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "certd/client/certd_client.hpp"
#include "common/clock.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"
#include "config/identityd/config.hpp"
#include "daemon/api/identity_api.hpp"
#include "daemon/server/edge_ca.hpp"
#include "daemon/server/module_store.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::identityd {

struct Caller {
  uid_t uid;
};

class IdentityService {
 public:
  static Expected<std::unique_ptr<IdentityService>> Create(const Layout& layout,
                                                           const IdentitydConfig& config,
                                                           std::shared_ptr<const Clock> clock);
  Status Reload(const IdentitydConfig& config);
  EdgeCa& edge_ca() { return edge_ca_; }

  // Workload API.
  Expected<api::IssuedCert> ServerCert(const Caller& c, const std::string& module_id,
                                       const std::string& gen_id,
                                       const api::ServerCertRequest& request);
  Expected<api::IssuedCert> IdentityCert(const Caller& c, const std::string& module_id);
  Expected<std::string> TrustBundle(const Caller& c);
  // AES-256-GCM in keyd under the master encryption key (kMasterEncryptionKeyId, created on first
  // use), the request's IV, AAD = module id ‖ gen id: the ciphertext (data + 16-byte tag) or the
  // plaintext. A ciphertext of another module, genid or IV, or an altered one: kInvalidParameter.
  Expected<Bytes> ModuleCrypt(const Caller& c, const std::string& module_id,
                              const std::string& gen_id, const api::ModuleDataRequest& request,
                              bool decrypt);
  // manifest_trust_bundle_cert's certificates as PEM; "" when none is configured.
  Expected<std::string> ManifestTrustBundle(const Caller& c);

  // Identity API.
  Expected<Json> Identity(const Caller& c);
  Expected<api::ListModulesResponse> ListModules(const Caller& c);
  Expected<Json> CreateModule(const Caller& c, const api::CreateModuleRequest& request);
  Expected<Json> GetModule(const Caller& c, const std::string& module_id);
  Status DeleteModule(const Caller& c, const std::string& module_id);
  // edgesec: GET /edge-ca — the Edge CA, the earlier ones still trusted, and certd's renewal state.
  Expected<api::EdgeCaStatus> EdgeCaStatus(const Caller& c);

 private:
  struct State {
    IdentitydConfig config;
    std::shared_ptr<certd::CertdClient> certd;
    std::shared_ptr<keyd::KeydClient> keyd;
  };
  IdentityService(const Layout& layout, std::shared_ptr<const Clock> clock);
  std::shared_ptr<const State> Snapshot() const;
  bool IsDeviceCaller(const State& s, uid_t uid) const;
  bool ListsModule(const State& s, uid_t uid, const std::string& module_id) const;
  Status AuthorizeModule(const State& s, const Caller& c, const std::string& module_id) const;
  Status AuthorizeModuleData(const State& s, const Caller& c, const std::string& module_id,
                             const std::string& gen_id) const;
  Status AuthorizeDevice(const State& s, const Caller& c, const char* action) const;
  Expected<api::IssuedCert> Issue(const State& s, const std::string& module_id,
                                  const std::string& common_name, bool server,
                                  std::optional<int64_t> not_after);
  Expected<Json> LocalIdentity(const State& s, const std::string& module_id, bool server);

  Layout layout_;
  std::shared_ptr<const Clock> clock_;
  EdgeCa edge_ca_;
  ModuleStore modules_;
  mutable std::mutex mutex_;
  std::shared_ptr<const State> state_;
};

}  // namespace edgesec::identityd

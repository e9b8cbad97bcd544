#pragma once
// identityd (folder daemon/): wire types of the identity API (identityd.sock) and of IoT Edge's
// workload API (workload.sock), API.md "Identity" and "Workload", shared by identityd (FromJson
// names the missing or mistyped field and ignores unknown ones) and its client (ToJson).

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"

namespace edgesec::identityd::api {

inline const std::vector<std::string>& IdentityVersions() {
  static const std::vector<std::string> v = {"2020-09-01", "2021-12-01", "2022-08-01"};
  return v;
}
inline const std::vector<std::string>& WorkloadVersions() {
  static const std::vector<std::string> v = {"2018-06-28", "2019-01-30", "2019-10-22", "2019-11-05",
                                             "2020-07-07", "2021-12-07", "2022-08-03"};
  return v;
}
inline constexpr const char* kIdentityVersionLatest = "2022-08-01";
inline constexpr const char* kWorkloadVersionLatest = "2022-08-03";

// POST /modules/{moduleId}/genid/{genId}/certificate/server
struct ServerCertRequest {
  std::string common_name;
  std::optional<std::string> expiration;  // RFC 3339; honoured when earlier than the default
  static Expected<ServerCertRequest> FromJson(const Json& j);
  Json ToJson() const;
};

// The workload API's answer to both certificate routes; also the `auth` of a local identity.
struct IssuedCert {
  std::string private_key_pem;  // PKCS#8
  std::string certificate;      // leaf + chain PEM
  std::string expiration;       // RFC 3339
  static Expected<IssuedCert> FromJson(const Json& j);
  Json ToJson() const;           // {"privateKey":{"type":"key","bytes":…},"certificate",…}
  Json ToLocalAuthJson() const;  // {"privateKey":…PEM…,"certificate",…,"expiration"}
};

// POST /identities/modules
struct CreateModuleRequest {
  std::string type;  // "local" (edgesec serves no hub identities)
  std::string module_id;
  std::string attributes;  // "server" or "client" (localIdOpts.attributes; default "server")
  static Expected<CreateModuleRequest> FromJson(const Json& j);
  Json ToJson() const;
};

// GET /identities/identity for the device: {"type":"aziot","spec":{"deviceId",
// "auth":{"type":"x509","keyHandle","certId"}}}.
struct DeviceIdentity {
  std::string device_id;
  std::string key_handle;  // keyd's handle of the identity key
  std::string cert_id;     // certd's id of the identity cert
  static Expected<DeviceIdentity> FromJson(const Json& j);
  Json ToJson() const;
};

// A local module identity (GET /identities/identity for a module's user, POST and GET
// /identities/modules…): {"type":"local","spec":{"moduleId","auth":{privateKey,certificate,
// expiration}}}.
struct LocalIdentity {
  std::string module_id;
  IssuedCert auth;
  static Expected<LocalIdentity> FromJson(const Json& j);
  Json ToJson() const;
};

// GET /identities/modules: {"identities":[{"type":"local","spec":{"moduleId","localIdOpts":
// {"type":"x509","attributes"}}}]}.
struct ModuleSummary {
  std::string module_id;
  std::string attributes;  // "server" or "client"
};
struct ListModulesResponse {
  std::vector<ModuleSummary> identities;
  static Expected<ListModulesResponse> FromJson(const Json& j);
  Json ToJson() const;
};

// GET /edge-ca (edgesec): the Edge CA, the CAs still trusted, certd's renewal state.
struct EdgeCaStatus {
  std::string cert_id;
  std::string sha256;                // of the current Edge CA
  std::string pem;                   // its chain
  std::optional<Json> details;       // common/x509 DetailsJson, when the chain parses
  std::vector<std::string> trusted;  // SHA-256 of every Edge CA in the trust bundle
  std::optional<Json> renewal;       // certd's credential state, when certd has one
  Json ToJson() const;
};

// POST /modules/{moduleId}/genid/{genId}/encrypt {"plaintext","initializationVector"} and
// …/decrypt {"ciphertext","initializationVector"}, both base64. Answered {"ciphertext"} and
// {"plaintext"}.
struct ModuleDataRequest {
  Bytes data;  // plaintext (encrypt) or ciphertext (decrypt)
  Bytes iv;
  static Expected<ModuleDataRequest> FromJson(const Json& j, bool decrypt);
  Json ToJson(bool decrypt) const;
};

// GET /trust-bundle (both sockets), GET /manifest-trust-bundle (workload).
struct TrustBundle {
  std::string certificate;
  static Expected<TrustBundle> FromJson(const Json& j);
  Json ToJson() const { return Json{{"certificate", certificate}}; }
};

}  // namespace edgesec::identityd::api

#pragma once
// identityd's own config: /etc/edgesec/identityd/config.toml then config.d/*.toml (later files
// override keys); with none, the embedded defaults (quickstart Edge CA held by certd as credential
// "edge-ca", module certs EC P-256 for 30 days). Documented in docs/identityd.md and
// daemon/config.example.toml.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/paths.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::identityd {

// keyd's id of the workload API's master encryption key (a secret key, usage "encrypt"): the id
// IoT Edge uses, so that keyd's config (principals, [preloaded_keys], [[key_engine]]) reads the
// same.
inline constexpr const char* kMasterEncryptionKeyId = "iotedge_master_encryption_id";

struct Principal {
  uid_t uid = 0;
  std::vector<std::string> modules;  // module ids this caller may act as (workload, identity)
  std::string idtype = "module";     // "device": gets the device identity, manages modules
  std::string name;  // written by config apply instead of `uid` when set (the reader resolves it)
};

struct IdentitydConfig {
  mode_t socket_mode = 0660;
  mode_t workload_socket_mode = 0666;
  // Connections one uid may hold at once on identityd.sock and on workload.sock.
  unsigned max_requests = 10, workload_max_requests = 10;
  std::string keyd_socket, certd_socket;   // empty: the layout's
  std::string trust_bundle_cert;           // a PEM file (file:///path or /path); empty: none
  std::string manifest_trust_bundle_cert;  // the same; served by GET /manifest-trust-bundle
  // The Edge CA: a credential of certd (issued, renewed and stored there).
  std::string edge_ca_cert = "edge-ca";
  std::vector<std::string> edge_ca_on_change;  // command run (no shell) when the Edge CA changes
  // Module certs issued through the workload API.
  int module_validity_days = 30;
  std::string module_key_algorithm = "ec-p256";  // ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096
  // The device identity: a credential or preloaded cert of certd, its key in keyd.
  std::string device_cert, device_key;  // empty: no device identity configured
  std::string device_id;                // empty: the identity cert's CN
  std::vector<Principal> principals;
};

Expected<IdentitydConfig> LoadIdentitydConfig(const Layout& layout);
Status ApplyIdentitydConfigFile(const config::ParsedFile& file, IdentitydConfig* config);

// Read and written through one field table (config/field_table.hpp). A blank config (no defaults:
// empty strings, zero modes and days) is what config apply starts from; writing it back gives only
// the keys it set, in the table's order, after `header` as a comment.
IdentitydConfig BlankIdentitydConfig();
std::string WriteIdentitydConfig(const IdentitydConfig& config, const std::string& header);

}  // namespace edgesec::identityd

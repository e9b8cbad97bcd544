#pragma once
// certd's own config: /etc/edgesec/certd/config.toml then config.d/*.toml (later files override
// keys). Documented in docs/certd.md and certd/config.example.toml.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "certd/server/est_config.hpp"
#include "certd/x509/profile.hpp"
#include "common/error.hpp"
#include "common/paths.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::certd {

struct Principal {
  uid_t uid = 0;
  std::vector<std::string> cert_globs;
};

// A managed credential: which key, and how POST /certificates without an issuer gets it signed.
struct Credential {
  std::string cert_id;
  std::string key_id;               // keyd key pair id (defaults to the cert id)
  std::string method = "local_ca";  // "self_signed", "local_ca", "est", "preloaded"
  std::string profile;              // empty: "default"
  std::string issuer_cert;          // local_ca: cert id of the issuing CA (default [local_ca] cert)
  std::string issuer_key;  // local_ca: keyd key id of the issuing CA (default [local_ca] key)
  EstCredential est;       // est: subject, SANs, per-credential EST overrides, rotate_key
};

struct CertdConfig {
  mode_t socket_mode = 0660;
  std::string keyd_socket;                             // empty: the layout's keyd.sock
  std::map<std::string, std::string> preloaded_certs;  // id → absolute path (from file:///…)
  std::vector<Principal> principals;
  std::map<std::string, x509::Profile> profiles;  // always holds "default" and "ca"
  std::map<std::string, Credential> credentials;
  std::string local_ca_cert, local_ca_key;  // [local_ca] cert / key
  EstSettings est;                          // [est]
};

Expected<CertdConfig> LoadCertdConfig(const Layout& layout);
Status ApplyCertdConfigFile(const config::ParsedFile& file, CertdConfig* config);
CertdConfig DefaultCertdConfig();

}  // namespace edgesec::certd

#pragma once
// certd's own config: /etc/edgesec/certd/config.toml then config.d/*.toml (later files override
// keys). Documented in docs/certd.md and certd/config.example.toml.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "certd/renewal/policy.hpp"
#include "certd/x509/profile.hpp"
#include "common/error.hpp"
#include "common/paths.hpp"
#include "config/certd/credential_config.hpp"
#include "config/certd/est_config.hpp"
#include "config/certd/issuance_method.hpp"
#include "config/certd/profile_config.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::certd {

struct Principal {
  uid_t uid = 0;
  std::vector<std::string> cert_globs;
  // Written by config apply instead of `uid` when set (the reader resolves it).
  std::string name = {};
};

// A managed credential: which key, how it is issued (POST /certificates without an issuer, and
// every renewal) and its renewal policy.
struct Credential {
  std::string cert_id;
  std::string key_id;  // keyd key pair id (defaults to the cert id)
  IssuanceMethod method = IssuanceMethod::kLocalCa;
  std::string profile;      // empty: "default"
  std::string issuer_cert;  // local_ca: cert id of the issuing CA (default [local_ca] cert)
  std::string issuer_key;   // local_ca: keyd key id of the issuing CA (default [local_ca] key)
  std::vector<std::pair<std::string, std::string>> subject;  // {"CN", …}; default CN = the cert id
  std::vector<std::string> sans;  // "DNS:…", "IP:…", "URI:…", "email:…"
  std::string algorithm;          // keyd token for a key certd creates (empty: ec-p256)
  renewal::Policy policy;         // threshold, retry, rotate_key, auto_renew, expiry_warnings
  EstCredential est;              // est: per-credential EST overrides, server_keygen

  // The subject certd puts in the CSRs it builds: `subject`, else CN = the cert id.
  std::vector<std::pair<std::string, std::string>> SubjectOrDefault() const {
    return subject.empty() ? decltype(subject){{"CN", cert_id}} : subject;
  }
};

// The quickstart Edge CA (DESIGN.md): credential and key "edge-ca", self-signed with the edge-ca
// profile, CN "edgesec Edge CA <hostname>" cut to 64 characters, auto-renewed. Present unless the
// config defines its own "edge-ca" credential or sets [edge_ca] quickstart = false.
inline constexpr const char* kEdgeCaId = "edge-ca";

struct CertdConfig {
  mode_t socket_mode = 0660;
  unsigned max_requests = 10;  // connections one uid may hold at once on certd.sock
  std::string keyd_socket;     // empty: the layout's keyd.sock
  std::map<std::string, std::string> preloaded_certs;  // id → absolute path (from file:///…)
  std::vector<Principal> principals;
  std::map<std::string, x509::Profile> profiles;  // always holds "default" and "ca"
  std::map<std::string, Credential> credentials;
  std::string local_ca_cert, local_ca_key;  // [local_ca] cert / key
  EstSettings est;                          // [est]
  std::string hostname;                     // top-level `hostname` (empty: gethostname())
  bool edge_ca_quickstart = true;           // [edge_ca] quickstart
  // [renewal] tick: the scheduler looks at least this often; 0 (the default): only when something
  // is due, the wall clock is set, or a cert or the config changes.
  int64_t renewal_tick = 0;
  int64_t retry_floor = 60;  // [renewal] retry_floor: never retry sooner
  // [revocation] check: look up the certs certd holds in their CRLs / OCSP responders;
  // refresh: how often when a CRL has no nextUpdate (docs/certd.md, "Revocation").
  bool revocation_check = true;
  int64_t revocation_refresh = 86400;
};

Expected<CertdConfig> LoadCertdConfig(const Layout& layout);
Status ApplyCertdConfigFile(const config::ParsedFile& file, CertdConfig* config);
CertdConfig DefaultCertdConfig();
// Read and written through one field table (config/field_table.hpp). A blank config (no defaults:
// zero mode, spans and max_wait; quickstart stays true, which writes nothing) is what config apply
// starts from; writing it back gives only the keys it set, in the table's order, after `header` as
// a comment. [profiles.*] and [[credential]] are written from their file structs (`profiles`,
// `credentials`: the keys each sets), and `principals_comment` (when not empty) above the
// [[principal]] tables.
CertdConfig BlankCertdConfig();
std::string WriteCertdConfig(const CertdConfig& config, const std::string& header,
                             const ProfileFiles& profiles,
                             const std::vector<CredentialFile>& credentials,
                             const std::string& principals_comment = {});
// The quickstart Edge CA credential for `hostname` (empty: the OS's host name).
Credential QuickstartEdgeCa(const std::string& hostname);

}  // namespace edgesec::certd

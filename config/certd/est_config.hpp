#pragma once
// certd's EST settings: the [est] section and the EST fields of a [[credential]] (docs/certd.md,
// "EST"). Parsed with the same table-driven reader as the rest of certd's config: errors carry
// file:line:col.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/secret.hpp"
#include "config/field_table.hpp"
#include "config/toml_reader.hpp"
#include "config/toml_writer.hpp"

namespace edgesec::certd {

// [est]: the EST server and how certd authenticates to it.
struct EstSettings {
  std::string url;    // base URL, https://est.example:8443 (certd adds /.well-known/est[/label])
  std::string label;  // optional CA label
  std::vector<std::string> trusted_certs;  // PEM files: the only trust anchors
  std::string username;                    // HTTP Basic when set
  std::shared_ptr<const Secret> password;  // or password_file (read at each request)
  std::string password_file;
  // The bootstrap identity: a cert id of the store or file:///path, and a keyd key id.
  std::string bootstrap_identity_cert, bootstrap_identity_key;
  // The EST identity: a bare name is the cert id / key id under which the identity certd obtains
  // (with the bootstrap identity) is stored; a file:///path cert is an identity already on the
  // device.
  std::string identity_cert, identity_key;
  std::string identity_common_name;  // CN of the EST identity's CSR (default: the credential's CN)
  int64_t max_wait_seconds = 30 * 60;  // bound of 202 + Retry-After polling
};

// The EST part of a [[credential]] with method = "est" (subject, SANs and the renewal policy are
// the credential's, for every method).
struct EstCredential {
  std::string url, username, password_file;  // overrides of [est]
  std::shared_ptr<const Secret> password;
  bool server_keygen = false;        // enroll through /serverkeygen: the EST server makes the key
  std::optional<Error> missing_url;  // the error to report, at the credential's position, if no URL
};

struct CertdConfig;

// Read and written through one field table (config/field_table.hpp): the writer writes [key] when
// any field is set (blank: empty strings, no password, max_wait_seconds 0).
Status ReadEstSection(config::Reader& t, EstSettings* est);
void WriteEstSection(config::TomlWriter& w, const char* key, const EstSettings& est);
// The EST keys of a [[credential]] with method = "est" (url, username, password, password_file,
// server_keygen); a credential reads them only with that method, so they are unknown keys on
// others.
const config::FieldTable<EstCredential>& EstCredentialFields();
// After those fields: a password needs a username; the error for a missing URL, at `method_key`.
Status CheckEstCredential(config::Reader& t, const char* method_key, EstCredential* cred);
// After every file: each est credential has a URL, [est] names a bootstrap key with its cert.
Status CheckEstCredentials(const CertdConfig& config);

}  // namespace edgesec::certd

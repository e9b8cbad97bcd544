#pragma once
// certd's [[credential]] tables, read and written through one field table: each table is read into
// a CredentialFile (the keys as written), from which the loader derives the Credential.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "certd/renewal/policy.hpp"
#include "common/error.hpp"
#include "config/certd/est_config.hpp"
#include "config/certd/issuance_method.hpp"
#include "config/toml_reader.hpp"
#include "config/toml_writer.hpp"

namespace edgesec::certd {

// One [[credential]] table as written: blank (empty, unset) keys are certd's defaults.
struct CredentialFile {
  std::string cert_id, key_id;  // key_id empty: the cert id
  std::optional<IssuanceMethod> method;
  std::string profile, issuer_cert, issuer_key;
  std::vector<std::pair<std::string, std::string>> subject;  // CN as common_name, first
  std::vector<std::string> sans;
  std::string algorithm;
  EstCredential est;  // read only when method is est
  std::optional<renewal::Span> threshold, retry;
  std::optional<bool> rotate_key, auto_renew;
  std::optional<std::vector<renewal::Span>> expiry_warnings;
};

struct CertdConfig;

// A renewal span ("80%", "30d", "90s" with allow_seconds); kConfig with file:line:col.
Expected<std::optional<renewal::Span>> ReadSpan(config::Reader& t, const char* key,
                                                bool allow_percent, bool allow_seconds = false);
// Every [[key]] table of `r` into config->credentials (a later cert id replaces an earlier one).
Status ReadCredentialTables(config::Reader& r, const char* key, CertdConfig* config);
// Writes [[key]] for each credential, through the same field table.
void WriteCredentialTables(config::TomlWriter& w, const char* key,
                           const std::vector<CredentialFile>& credentials);

}  // namespace edgesec::certd

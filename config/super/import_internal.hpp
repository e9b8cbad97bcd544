#pragma once
// Internal to `config import` (import_yaml.cpp reads the 1.1 config.yaml, import_emit.cpp writes
// the commented config.toml): what the 1.1 file says, in edgesec's terms.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgesec::config::super {

struct Imported {
  std::string hostname;
  std::string trust_bundle;                // certificates.trusted_ca_certs, a file:// URI
  std::string edge_cert, edge_pk;          // certificates.device_ca_cert / _pk, file:// URIs
  std::optional<int64_t> quickstart_days;  // certificates.auto_generated_ca_lifetime_days
  bool provisioning = false;               // the file has a provisioning: section
  enum class Auth { kNone, kConnectionString, kX509 } auth = Auth::kNone;
  std::string connection_string;  // kept as [provisioning] connection_string (ignored by edgesec)
  std::string iothub_hostname, device_id, identity_cert, identity_pk;  // kX509
  std::vector<std::string> not_imported;  // "agent (line 9)": 1.1 settings edgesec has no use for
};

// The commented config.toml; `source` is the config.yaml's path, named in the comments.
std::string EmitImportedToml(const Imported& in, const std::string& source);

}  // namespace edgesec::config::super

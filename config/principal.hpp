#pragma once
// The caller half of a [[principal]] entry, shared by every service: `uid = N` or `name = "user"`.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/toml_reader.hpp"
#include "config/toml_writer.hpp"

namespace edgesec::config {

// The key of the [[principal]] tables of every service.
inline constexpr const char* kPrincipalTables = "principal";

// Reads `uid` or `name` (resolved with getpwnam_r) from a [[principal]] table; kConfig with
// file:line:col when both, neither, an out-of-range uid or an unknown user name is given.
Expected<uid_t> ReadPrincipalUser(Reader& principal);
// Writes `name` when given, else `uid`: the other half of ReadPrincipalUser.
void WritePrincipalUser(TomlWriter& w, uid_t uid, const std::string& name);

struct PrincipalEntry {
  uid_t uid = 0;
  std::vector<std::string> globs;  // of the ids this caller may use
  bool audit = false;              // keyd only: `audit = true`, may post audit events
};

// Every [[principal]] table of `r`, each with `uid`/`name` and the glob list under `globs_key`
// ("keys", "certs"); nullopt when the file has none (an earlier file's entries then stay).
// `with_audit`: the tables may carry `audit = true|false` (keyd's).
Expected<std::optional<std::vector<PrincipalEntry>>> ReadPrincipals(Reader& r,
                                                                    const std::string& globs_key,
                                                                    const std::string& what,
                                                                    bool with_audit = false);

// One [[principal]] table: `name` when given, else `uid`, then `globs_key` = globs.
void WritePrincipal(TomlWriter& w, uid_t uid, const std::string& name, const std::string& globs_key,
                    const std::vector<std::string>& globs, bool audit = false);

}  // namespace edgesec::config

#pragma once
// certd's [profiles.<name>] tables: read on top of the profile of that name (or of "default" for a
// new one), and written from the keys a profile table sets (config apply).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "certd/x509/profile.hpp"
#include "common/error.hpp"
#include "config/toml_reader.hpp"
#include "config/toml_writer.hpp"

namespace edgesec::certd {

// One [profiles.<name>] table as written: each key optional (unset: the base profile's value).
struct ProfileFile {
  std::optional<int64_t> validity_days, pathlen;
  std::optional<std::vector<std::string>> key_usage, extended_key_usage;
  std::optional<std::string> san;  // "copy" or "none"
  std::optional<bool> ca;
};
using ProfileFiles = std::vector<std::pair<std::string, ProfileFile>>;  // in file order

// Every [key.<name>] table of `r`, each read through one field table into a ProfileFile, applied
// on top of `profiles[name]` (or the default leaf profile) and validated; kConfig with
// file:line:col.
Status ReadProfileTables(config::Reader& r, const char* key,
                         std::map<std::string, x509::Profile>* profiles);
// Writes [key.<name>] for each profile, through the same field table.
void WriteProfileTables(config::TomlWriter& w, const char* key, const ProfileFiles& profiles);

}  // namespace edgesec::certd

#pragma once
// The caller half of a [[principal]] entry, shared by every service: `uid = N` or `name = "user"`.

#include <sys/types.h>

#include "common/error.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config {

// Reads `uid` or `name` (resolved with getpwnam_r) from a [[principal]] table; kConfig with
// file:line:col when both, neither, an out-of-range uid or an unknown user name is given.
Expected<uid_t> ReadPrincipalUser(Reader& principal);

}  // namespace edgesec::config

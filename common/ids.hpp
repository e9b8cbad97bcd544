#pragma once
// Key, cert and module ids: 1–128 characters of A-Za-z0-9 . _ - : @ $ (DESIGN.md, "Ids").

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace edgesec {

bool IsValidId(std::string_view id);
// kInvalidParameter naming `what` ("key id") and quoting the id when it is not valid.
Status ValidateId(std::string_view id, std::string_view what);
// A file name for an id: the id with anything outside [A-Za-z0-9._-] replaced by '_', a leading '.'
// replaced too, then '-' and the first 16 bytes of SHA-256(id) in hex; no id reaches a path
// unchanged.
std::string FileNameForId(std::string_view id);

}  // namespace edgesec

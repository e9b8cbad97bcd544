#include "keyd/server/principals.hpp"

#include <fnmatch.h>

namespace edgesec::keyd {

bool GlobMatches(const std::string& glob, const std::string& id) {
  return ::fnmatch(glob.c_str(), id.c_str(), 0) == 0;
}

bool Authorizer::MayUseKey(uid_t caller, const std::string& key_id) const {
  if (IsPrivileged(caller)) return true;
  for (const Principal& p : principals_) {
    if (p.uid != caller) continue;
    for (const std::string& glob : p.key_globs)
      if (GlobMatches(glob, key_id)) return true;
  }
  return false;
}

}  // namespace edgesec::keyd

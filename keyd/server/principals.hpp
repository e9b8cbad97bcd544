#pragma once
// Who may use which key: root and keyd's own uid always; others by [[principal]] entries whose
// `keys` globs (fnmatch) match the key id.

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/keyd/config.hpp"  // Principal

namespace edgesec::keyd {

class Authorizer {
 public:
  Authorizer(uid_t self, std::vector<Principal> principals)
      : self_(self), principals_(std::move(principals)) {}
  bool MayUseKey(uid_t caller, const std::string& key_id) const;
  // True for root and keyd's own uid, who see every key.
  bool IsPrivileged(uid_t caller) const { return caller == 0 || caller == self_; }

 private:
  uid_t self_;
  std::vector<Principal> principals_;
};

bool GlobMatches(const std::string& glob, const std::string& id);

}  // namespace edgesec::keyd

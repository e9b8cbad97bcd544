#include "config/principal.hpp"

#include <pwd.h>

namespace edgesec::config {

Expected<uid_t> ReadPrincipalUser(Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto uid, r.Integer("uid"));
  EDGESEC_ASSIGN_OR_RETURN(auto name, r.String("name"));
  if (uid && name) return r.ErrorAt("name", "give either 'uid' or 'name', not both");
  if (uid) {
    if (*uid < 0 || *uid > 0x7fffffff)
      return r.ErrorAt("uid", "must be a uid between 0 and 2147483647");
    return static_cast<uid_t>(*uid);
  }
  if (!name) return r.ErrorAt("uid", "a principal needs 'uid' or 'name'");
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwnam_r(name->c_str(), &pw, buf, sizeof buf, &found) != 0 || found == nullptr)
    return r.ErrorAt("name",
                     "no user named '" + *name + "' on this system; create it or give its 'uid'");
  return pw.pw_uid;
}

}  // namespace edgesec::config

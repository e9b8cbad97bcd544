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

Expected<std::optional<std::vector<PrincipalEntry>>> ReadPrincipals(Reader& r,
                                                                    const std::string& globs_key,
                                                                    const std::string& what,
                                                                    bool with_audit) {
  EDGESEC_ASSIGN_OR_RETURN(auto tables, r.TableArray(kPrincipalTables));
  if (tables.empty()) return std::optional<std::vector<PrincipalEntry>>();
  std::vector<PrincipalEntry> out;
  for (auto& t : tables) {
    PrincipalEntry p;
    EDGESEC_ASSIGN_OR_RETURN(p.uid, ReadPrincipalUser(t));
    EDGESEC_ASSIGN_OR_RETURN(auto globs, t.StringArray(globs_key));
    if (!globs)
      return t.ErrorAt(globs_key, "a principal needs '" + globs_key + "' (globs of the " + what +
                                      " ids it may use)");
    p.globs = std::move(*globs);
    if (with_audit) {
      EDGESEC_ASSIGN_OR_RETURN(auto audit, t.Boolean("audit"));
      p.audit = audit.value_or(false);
    }
    EDGESEC_TRY(t.Finish());
    out.push_back(std::move(p));
  }
  return std::optional<std::vector<PrincipalEntry>>(std::move(out));
}

void WritePrincipalUser(TomlWriter& w, uid_t uid, const std::string& name) {
  if (!name.empty())
    w.String("name", name);
  else
    w.Integer("uid", uid);
}

void WritePrincipal(TomlWriter& w, uid_t uid, const std::string& name, const std::string& globs_key,
                    const std::vector<std::string>& globs, bool audit) {
  w.ArrayTable(kPrincipalTables);
  WritePrincipalUser(w, uid, name);
  w.Strings(globs_key, globs);
  if (audit) w.Boolean("audit", true);
}

}  // namespace edgesec::config

// Cross-checks against the system: referenced files exist and are readable by the service user
// that reads them, principals resolve. Mode bits are evaluated for that user (owner, groups,
// others, and search permission on every parent directory), so no privilege change is needed.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "config/super/super.hpp"

namespace edgesec::config::super {
namespace {

struct User {
  uid_t uid = 0;
  std::vector<gid_t> groups;
};

std::optional<User> LookUp(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &found) != 0 || found == nullptr)
    return std::nullopt;
  User u;
  u.uid = pw.pw_uid;
  int n = 64;
  u.groups.resize(static_cast<size_t>(n));
  if (::getgrouplist(name.c_str(), pw.pw_gid, u.groups.data(), &n) < 0) {
    u.groups.resize(static_cast<size_t>(n));
    ::getgrouplist(name.c_str(), pw.pw_gid, u.groups.data(), &n);
  }
  u.groups.resize(static_cast<size_t>(n));
  return u;
}

bool Allows(const struct stat& st, const User& u, mode_t owner_bit) {
  if (u.uid == 0) return true;
  if (st.st_uid == u.uid) return st.st_mode & owner_bit;
  if (std::find(u.groups.begin(), u.groups.end(), st.st_gid) != u.groups.end())
    return st.st_mode & (owner_bit >> 3);
  return st.st_mode & (owner_bit >> 6);
}

// Empty when `user` may read `path`, else why not.
std::string ReadableBy(const std::string& path, const User& user, const std::string& name) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    struct stat st {};
    std::string dir = path.substr(0, slash);
    if (::stat(dir.c_str(), &st) == 0 && !Allows(st, user, S_IXUSR))
      return "user '" + name + "' cannot enter directory '" + dir + "'; chmod o+x or g+x it";
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  if (!Allows(st, user, S_IRUSR))
    return "user '" + name + "' cannot read it; chown or chmod it (e.g. chgrp " + name +
           " + chmod g+r)";
  return {};
}

}  // namespace

std::vector<std::string> CrossCheck(const SuperConfig& c, const CheckOptions& o) {
  std::vector<std::string> problems;
  std::map<std::string, std::optional<User>> users;
  auto user_of = [&](const std::string& service) -> std::string {
    return service == "keyd" ? o.keyd_user : service == "certd" ? o.certd_user : o.identityd_user;
  };
  for (const FileRef& f : c.files) {
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) {
      problems.push_back(f.position + ": '" + f.path +
                         "' does not exist; put the file there or correct the path");
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      problems.push_back(f.position + ": '" + f.path + "' is a directory; name the file");
      continue;
    }
    if (o.rooted) {
      if (::access(f.path.c_str(), R_OK) != 0)
        problems.push_back(f.position + ": '" + f.path + "' is not readable by this user");
      continue;
    }
    std::string name = user_of(f.service);
    if (!users.count(name)) users[name] = LookUp(name);
    if (!users[name]) {
      problems.push_back(f.position + ": the " + f.service + " user '" + name +
                         "' does not exist; install the edgesec package (sysusers.d) first");
      continue;
    }
    if (std::string why = ReadableBy(f.path, *users[name], name); !why.empty())
      problems.push_back(f.position + ": '" + f.path + "': " + why);
  }
  // The generated [[principal]] entries name the service users: the services refuse unknown names.
  if (!o.rooted)
    for (const auto& [service, name] : {std::pair{"keyd", o.keyd_user},
                                        {"certd", o.certd_user},
                                        {"identityd", o.identityd_user}}) {
      if (!users.count(name)) users[name] = LookUp(name);
      if (!users[name])
        problems.push_back(std::string("the ") + service + " user '" + name +
                           "' does not exist, and the services' configs name it; install the "
                           "edgesec package (sysusers.d) or run under --root");
    }
  for (const Principal& p : c.principals)
    if (!p.name.empty() && !LookUp(p.name))
      problems.push_back(p.position + ": principal name '" + p.name +
                         "' is not a user of this system; create it or give its 'uid'");
  return problems;
}

}  // namespace edgesec::config::super

// Cross-checks against the system: referenced files exist and are readable by the service user
// that reads them, principals resolve. Mode bits are evaluated for that user (owner, groups,
// others, and search permission on every parent directory), so no privilege change is needed.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

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

// SoftHSM2's config file: $SOFTHSM2_CONF, else Debian's.
std::string SofthsmConf() {
  const char* env = std::getenv("SOFTHSM2_CONF");
  return env != nullptr && *env != '\0' ? env : "/etc/softhsm/softhsm2.conf";
}

// `directories.tokendir` of SoftHSM2's config; empty when unreadable or unset.
std::string SofthsmTokenDir(const std::string& conf) {
  std::ifstream in(conf);
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (line.rfind("directories.tokendir", 0) != 0 || eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of(" \t\r") + 1);
    return v;
  }
  return {};
}

}  // namespace

std::vector<std::string> SofthsmAccessProblems(const std::string& lib_path,
                                               const std::string& user) {
  std::vector<std::string> problems;
  if (lib_path.find("softhsm") == std::string::npos) return problems;
  auto u = LookUp(user);
  if (!u || u->uid == 0) return problems;
  std::string conf = SofthsmConf();
  struct group* g = ::getgrnam("softhsm");
  std::string group = g != nullptr ? "softhsm" : user;
  // Each problem ends in "; " + a command that fixes it (check runs it, then restarts keyd).
  std::string join = g != nullptr ? "usermod -aG softhsm " + user : "";
  if (std::string why = ReadableBy(conf, *u, user); !why.empty())
    problems.push_back(
        "SoftHSM2's config '" + conf + "': " + why +
        " (keyd logs 'Could not open the config file'); " +
        (join.empty() ? "chgrp " + user + " '" + conf + "' && chmod g+r '" + conf + "'" : join));
  std::string dir = SofthsmTokenDir(conf);
  if (dir.empty()) return problems;
  std::error_code ec;
  std::vector<std::string> paths = {dir};
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    paths.push_back(it->path().string());
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    bool dir_ok = !S_ISDIR(st.st_mode) || Allows(st, *u, S_IXUSR);
    if (Allows(st, *u, S_IRUSR) && Allows(st, *u, S_IWUSR) && dir_ok) continue;
    problems.push_back("SoftHSM2's token directory '" + dir + "': user '" + user +
                       "' (keyd) cannot read and write '" + path +
                       "' (keyd then fails with 'Permission denied'); give it to keyd: chown -R " +
                       user + ":" + group + " '" + dir + "'" + (join.empty() ? "" : " && " + join));
    break;
  }
  return problems;
}

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
  if (!o.rooted && o.softhsm_access && c.keys.pkcs11_lib_path.find("softhsm") != std::string::npos)
    for (auto& p : SofthsmAccessProblems(c.keys.pkcs11_lib_path, o.keyd_user))
      problems.push_back("[keys] pkcs11_lib_path: " + p);
  std::vector<std::pair<std::string, std::string>> uris = {
      {"[keys] pkcs11_base_slot", c.keys.pkcs11_base_slot},
      {"[edge_ca] pk", c.edge_ca.pk},
      {"[provisioning.authentication] identity_pk", c.device.pk}};
  for (const auto& [id, uri] : c.preloaded_keys) uris.emplace_back("[preloaded_keys] " + id, uri);
  for (auto& p : Pkcs11SlotProblems(c.keys.pkcs11_lib_path, uris)) problems.push_back(p);
  for (const Principal& p : c.principals)
    if (!p.name.empty() && !LookUp(p.name))
      problems.push_back(p.position + ": principal name '" + p.name +
                         "' is not a user of this system; create it or give its 'uid'");
  return problems;
}

}  // namespace edgesec::config::super

// File modes and owners as the service users need them: config files 0600/0640 and readable by
// the service's user, state directories (and everything in them) owned by it, keyd's key files
// 0600, the files a config names readable by the service that reads them. Under --root the
// service user is the invoking user.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli/check/check.hpp"
#include "config/certd/config.hpp"
#include "config/keyd/config.hpp"

namespace edgesec::cli::check {
namespace {

std::string Mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

bool CanRead(const struct stat& st, const ServiceUser& u) {
  if (u.uid == 0) return true;
  if (st.st_uid == u.uid) return (st.st_mode & S_IRUSR) != 0;
  if (std::find(u.groups.begin(), u.groups.end(), st.st_gid) != u.groups.end())
    return (st.st_mode & S_IRGRP) != 0;
  return (st.st_mode & S_IROTH) != 0;
}

struct Checker {
  Env& env;
  Report& report;
  const ServiceUser& user;
  int checked = 0, problems = 0;

  std::string Id(const std::string& path) const {
    return "permissions-" + user.service + ":" + path;
  }
  void Fail(const std::string& path, const std::string& msg, const std::string& hint) {
    ++problems;
    report.Fail(Id(path), msg, hint);
  }
  void Warn(const std::string& path, const std::string& msg, const std::string& hint) {
    ++problems;
    report.Warn(Id(path), msg, hint);
  }
  std::string Chown(const std::string& path, bool recursive) const {
    return std::string("chown ") + (recursive ? "-R " : "") + user.name +
           (env.layout.is_rooted() ? "" : ":" + user.name) + " '" + path + "'";
  }

  // A file the service must read (config, preloaded cert or key, trust anchors).
  bool Readable(const std::string& path, const char* what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      Fail(path, std::string(what) + " '" + path + "' does not exist",
           "create it, or remove it from " + user.service + "'s config");
      return false;
    }
    ++checked;
    if (CanRead(st, user)) return true;
    Fail(path,
         std::string(what) + " '" + path + "' (mode " + Mode(st.st_mode) + ") is not readable by " +
             user.service + "'s user '" + user.name + "'",
         env.layout.is_rooted()
             ? "chmod u+r '" + path + "'"
             : "chown root:" + user.name + " '" + path + "' && chmod 0640 '" + path + "'");
    return false;
  }

  void ConfigFile(const std::string& path) {
    if (!Readable(path, "config file")) return;
    struct stat st {};
    ::stat(path.c_str(), &st);
    if ((st.st_mode & 0137) != 0)
      Warn(path,
           "config file '" + path + "' has mode " + Mode(st.st_mode) +
               "; it may hold secrets (PINs, passwords): 0600 or 0640 expected",
           "chmod 0600 '" + path + "'" +
               (env.layout.is_rooted() ? "" : " (0640 with group " + user.name + ")"));
  }

  // Private files: keyd's key files and secrets must be 0600.
  void KeyFile(const std::string& path, const struct stat& st) {
    if ((st.st_mode & 077) != 0)
      Fail(path,
           "key file '" + path + "' has mode " + Mode(st.st_mode) +
               "; keyd's key files must be 0600 (only keyd's user may read them)",
           "chmod 0600 '" + path + "'");
  }

  void StateDir(const std::string& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return;  // the service has not run yet
    std::error_code ec;
    auto visit = [&](const std::string& path, const struct stat& s) {
      ++checked;
      if (s.st_uid != user.uid) {
        Fail(path,
             "'" + path + "' is owned by uid " + std::to_string(s.st_uid) + ", not by " +
                 user.service + "'s user '" + user.name + "'",
             Chown(dir, true));
        return;
      }
      if ((s.st_mode & S_IWOTH) != 0 && !S_ISLNK(s.st_mode)) {
        Fail(path, "'" + path + "' is writable by everyone (mode " + Mode(s.st_mode) + ")",
             "chmod o-w '" + path + "'");
        return;
      }
      if (user.service == "keyd" && S_ISREG(s.st_mode)) KeyFile(path, s);
    };
    visit(dir, st);
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      struct stat s {};
      if (::lstat(it->path().c_str(), &s) == 0) visit(it->path().string(), s);
    }
  }
};

std::vector<std::string> ConfigFiles(const Layout& layout, const std::string& svc) {
  std::vector<std::string> files;
  if (::access(layout.ServiceConfigFile(svc).c_str(), F_OK) == 0)
    files.push_back(layout.ServiceConfigFile(svc));
  std::error_code ec;
  for (std::filesystem::directory_iterator it(layout.ServiceConfigDir(svc), ec), end;
       !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".toml") files.push_back(it->path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Files named in the service's own config.
void ConfiguredFiles(Env& env, Checker& c) {
  if (c.user.service == "keyd") {
    auto config = keyd::LoadKeydConfig(env.layout);
    if (!config) return;  // the config check reports it
    for (const auto& [id, uri] : config->preloaded_keys) {
      if (uri.rfind("file://", 0) != 0) continue;
      std::string path = uri.substr(7);
      if (!c.Readable(path, "preloaded key")) continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 007) != 0)
        c.Fail(
            path,
            "preloaded key '" + path + "' has mode " + Mode(st.st_mode) + ": everyone may read it",
            "chmod 0600 '" + path + "'" +
                (env.layout.is_rooted() ? "" : " (or 0640 with group " + c.user.name + ")"));
    }
  } else if (c.user.service == "certd") {
    auto config = certd::LoadCertdConfig(env.layout);
    if (!config) return;
    for (const auto& [id, path] : config->preloaded_certs) c.Readable(path, "preloaded cert");
    for (const auto& path : config->est.trusted_certs) c.Readable(path, "EST trust anchor file");
  }
}

void CheckService(Env& env, Report& report, const std::string& svc) {
  ServiceUser user = env.UserOf(svc);
  if (!user.exists) {
    report.Fail("permissions-" + svc, svc + "'s user '" + user.name + "' does not exist",
                "create the service users: systemd-sysusers (the package ships "
                "/usr/lib/sysusers.d/edgesec.conf)");
    return;
  }
  Checker c{env, report, user};
  for (const auto& f : ConfigFiles(env.layout, svc)) c.ConfigFile(f);
  ConfiguredFiles(env, c);
  c.StateDir(env.layout.ServiceStateDir(svc));
  if (c.problems == 0)
    report.Pass("permissions-" + svc, std::to_string(c.checked) + " file(s) and directories of " +
                                          svc + " have the modes and owner its user '" + user.name +
                                          "' needs");
}

void CheckSuperConfig(Env& env, Report& report) {
  std::string path = env.layout.etc() + "/config.toml";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if ((st.st_mode & 077) != 0)
    report.Warn("permissions:" + path,
                "'" + path + "' has mode " + Mode(st.st_mode) +
                    "; it may hold secrets (PINs, passwords): 0600 expected",
                "chmod 0600 '" + path + "'");
}

}  // namespace

void CheckPermissions(Env& env, Report& report) {
  CheckSuperConfig(env, report);
  for (const char* svc : {"keyd", "certd", "identityd"}) CheckService(env, report, svc);
}

}  // namespace edgesec::cli::check

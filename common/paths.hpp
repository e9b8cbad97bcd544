#pragma once
// The path layout of DESIGN.md: every default path lives under a root ("/" in production, DIR with
// --root DIR). Paths written explicitly in config files are used as written.

#include <string>

namespace edgesec {

struct Layout {
  std::string root;  // "" for the system layout, else the --root directory (absolute)

  static Layout System() { return Layout{""}; }
  // Makes `dir` absolute; keeps "/" as the system layout.
  static Layout UnderRoot(const std::string& dir);

  bool is_rooted() const { return !root.empty(); }
  std::string etc() const { return root + "/etc/edgesec"; }
  std::string state() const { return root + "/var/lib/edgesec"; }
  std::string run() const { return root + "/run/edgesec"; }
  std::string logs() const { return root + "/var/log/edgesec"; }

  std::string ServiceConfigFile(const std::string& svc) const {
    return etc() + "/" + svc + "/config.toml";
  }
  std::string ServiceConfigDir(const std::string& svc) const {
    return etc() + "/" + svc + "/config.d";
  }
  std::string ServiceStateDir(const std::string& svc) const { return state() + "/" + svc; }
  std::string Socket(const std::string& name) const { return run() + "/" + name + ".sock"; }
};

}  // namespace edgesec

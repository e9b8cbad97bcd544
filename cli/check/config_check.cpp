// The configs are valid and applied: each service's own config loads (file:line:col errors), and
// the super config /etc/edgesec/config.toml validates and matches the config.d/00-super.toml files
// that `edgectl config apply` wrote.
#include <unistd.h>

#include "cli/check/check.hpp"
#include "common/fs.hpp"
#include "config/certd/config.hpp"
#include "config/identityd/config.hpp"
#include "config/keyd/config.hpp"
#include "config/super/super.hpp"

namespace edgesec::cli::check {
namespace {

void ServiceConfig(Env& env, Report& report, const std::string& svc, const Status& loaded) {
  std::string id = "config-" + svc;
  if (loaded) {
    int files = fs::Exists(env.layout.ServiceConfigFile(svc)) ? 1 : 0;
    if (auto d = fs::ListFiles(env.layout.ServiceConfigDir(svc)))
      for (const auto& f : *d) files += f.size() > 5 && f.substr(f.size() - 5) == ".toml";
    report.Pass(id, svc + "'s config loads (" +
                        (files == 0 ? std::string("no file: the embedded defaults")
                                    : std::to_string(files) + " file(s) under '" +
                                          env.layout.etc() + "/" + svc + "'") +
                        ")");
    return;
  }
  report.Fail(id, svc + "'s config does not load: " + loaded.error().message,
              "fix the file named (docs/" + svc +
                  ".md lists the keys), or the super config and "
                  "run edgectl config apply; then " +
                  env.RestartHint(svc));
}

template <class T>
Status Loaded(const Expected<T>& e) {
  if (e) return {};
  return e.error();
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

void SuperConfig(Env& env, Report& report, const std::string& path) {
  auto read = config::super::LoadSuperConfig(path);
  if (!read) {
    report.Fail("config", "'" + path + "' is not valid: " + read.error().message,
                "fix it (edgectl config check shows every problem), then edgectl config apply");
    return;
  }
  for (const auto& w : read->warnings)
    report.Warn("config", w, "remove the setting from '" + path + "' to silence this");
  config::super::CheckOptions check;
  check.rooted = env.layout.is_rooted();
  check.softhsm_access = false;  // the token family reports it, with its command (tokens_check.cpp)
  auto problems = config::super::CrossCheck(read->config, check);
  for (const auto& p : problems)
    report.Fail("config", p, "fix '" + path + "' or the file it names, then edgectl config apply");
  if (!problems.empty()) return;
  config::super::ApplyOptions apply;
  apply.rooted = env.layout.is_rooted();
  apply.os_hostname = HostName();
  apply.source_path = path;  // as config apply names it in the header
  config::super::Generated generated = config::super::Apply(read->config, apply);
  std::vector<std::string> stale;
  const std::vector<std::pair<std::string, std::string>> files = {
      {"keyd", generated.keyd}, {"certd", generated.certd}, {"identityd", generated.identityd}};
  for (const auto& [svc, text] : files) {
    std::string file = env.layout.ServiceConfigDir(svc) + "/00-super.toml";
    auto on_disk = fs::ReadFile(file);
    if (!on_disk || *on_disk != text) stale.push_back(file);
  }
  if (!stale.empty()) {
    std::string names;
    for (const auto& f : stale) names += (names.empty() ? "'" : ", '") + f + "'";
    report.Warn("config-applied",
                "'" + path + "' is valid but not applied: " + names + " differ from what it gives",
                "apply it (--dry-run shows the difference first): edgectl config apply");
    return;
  }
  report.Pass("config", "'" + path + "' is valid and applied");
}

}  // namespace

void CheckConfig(Env& env, Report& report) {
  ServiceConfig(env, report, "keyd", Loaded(keyd::LoadKeydConfig(env.layout)));
  ServiceConfig(env, report, "certd", Loaded(certd::LoadCertdConfig(env.layout)));
  ServiceConfig(env, report, "identityd", Loaded(identityd::LoadIdentitydConfig(env.layout)));
  std::string path = env.layout.etc() + "/config.toml";
  if (!fs::Exists(path)) {
    report.Skip("config", "no super config '" + path + "': the services run on their own configs",
                "to configure edgesec in one file, write it (see config/examples/config.toml) and "
                "run edgectl config apply");
    return;
  }
  SuperConfig(env, report, path);
}

}  // namespace edgesec::cli::check

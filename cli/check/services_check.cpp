// Each service answers on its socket, with its version (GET /version).
#include <sys/stat.h>
#include <unistd.h>

#include "cli/check/check.hpp"
#include "common/http/client.hpp"

namespace edgesec::cli::check {
namespace {

struct Socket {
  const char* name;     // socket file name and the key of Env::reachable
  const char* service;  // the daemon behind it
  const char* version;  // an api-version the socket accepts
};
const Socket kSockets[] = {
    {"keyd", "keyd", "2020-09-01"},
    {"certd", "certd", "2020-09-01"},
    {"identityd", "identityd", "2020-09-01"},
    {"workload", "identityd", "2018-06-28"},  // the workload API's oldest version
};

void CheckSocket(Env& env, Report& report, const Socket& s) {
  std::string id = std::string("service-") + s.name;
  std::string path = env.layout.Socket(s.name);
  env.reachable[s.name] = false;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    report.Fail(id, std::string(s.service) + " is not running: no socket '" + path + "'",
                env.StartHint(s.name));
    return;
  }
  if (!S_ISSOCK(st.st_mode)) {
    report.Fail(id, "'" + path + "' is not a socket",
                "remove it and start " + std::string(s.service) + ": " + env.StartHint(s.name));
    return;
  }
  if (::access(path.c_str(), W_OK) != 0) {
    report.Fail(id, "this user may not connect to '" + path + "' (permission denied)",
                "run edgectl check as root (or as a user of the socket's group)");
    return;
  }
  http::UnixClient client(path, 3000);
  auto r = client.Send("GET", std::string("/version?api-version=") + s.version);
  if (!r) {
    report.Fail(id,
                std::string(s.service) + " does not answer on '" + path + "': " + r.error().message,
                env.StartHint(s.name));
    return;
  }
  if (r->status != 200) {
    report.Fail(id,
                std::string(s.service) + " answered GET /version with HTTP " +
                    std::to_string(r->status) + " on '" + path + "'",
                "see the service's log (" +
                    (env.layout.is_rooted() ? env.layout.logs() + "/" + s.service + ".log"
                                            : "journalctl -u edgesec-" + std::string(s.service)) +
                    ")");
    return;
  }
  env.reachable[s.name] = true;
  std::string version = "unknown version";
  if (auto j = ParseJsonObject(r->body); j && j->contains("version") && (*j)["version"].is_string())
    version = j->value("name", std::string(s.service)) + " " + (*j)["version"].get<std::string>();
  report.Pass(id, std::string(s.service) + " answers on '" + path + "' (" + version + ")");
}

}  // namespace

void CheckServices(Env& env, Report& report) {
  for (const auto& s : kSockets) CheckSocket(env, report, s);
}

}  // namespace edgesec::cli::check

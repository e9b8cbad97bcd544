#pragma once
// The one scaffold of edgesec's daemons (keyd, certd, identityd): the command line (--root,
// --log-level, --help, --version), blocked signals, the service's setup, the listening sockets
// (socket-activated or bound), READY, SIGHUP reloads, and a clean stop on SIGTERM. Each daemon
// only says what it serves: its Main is a DaemonInfo and a setup function.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/http/router.hpp"
#include "common/http/server.hpp"
#include "common/paths.hpp"

namespace edgesec {

struct DaemonInfo {
  std::string name;          // "keyd": the log prefix; the binary is "edgesec-" + name
  std::string description;   // the --help text after the usage line
  std::string ready_status;  // sd_notify STATUS= once serving
};

// One socket the daemon serves: DIR/run/edgesec/<socket>.sock, or the activated fd named
// `socket` (systemd's FileDescriptorName=).
struct DaemonListener {
  std::string socket;
  mode_t mode = 0660;
  http::Handler handler;
  // The connections one uid may hold at once (the service's max_requests); the daemon keeps it to
  // change the limit on reload. Null: the default.
  std::shared_ptr<http::UidLimit> per_uid = {};
};

// What a daemon's setup hands to the scaffold. The hooks may be empty.
struct DaemonParts {
  std::vector<DaemonListener> listeners;  // served in this order, stopped in reverse
  std::function<void()> after_start;      // once every listener serves (schedulers, watchers)
  std::function<Status()> reload;         // SIGHUP: the new config, or an error (old one kept)
  std::function<void()> before_stop;      // before the servers stop (long-polls, threads)
  std::shared_ptr<void> keep_alive;       // the service and routers the handlers use
};

// Loads the config and creates the service; an error is logged as "<name>: <error>" and the
// daemon exits 1.
using DaemonSetup = std::function<Expected<DaemonParts>(const Layout&)>;

// The whole life of a daemon: 0 after a clean stop, 1 when it cannot start, 2 on a usage error.
int RunDaemon(int argc, char** argv, const DaemonInfo& info, const DaemonSetup& setup);

// A handler that dispatches to `router` (kept alive by the handler).
inline http::Handler RouterHandler(http::Router router) {
  auto shared = std::make_shared<http::Router>(std::move(router));
  return [shared](const http::Request& r) { return shared->Dispatch(r); };
}

}  // namespace edgesec

#include "keyd/server/keyd_main.hpp"

#include <chrono>
#include <cstdio>

#include "common/daemon_args.hpp"
#include "common/fs.hpp"
#include "common/http/server.hpp"
#include "common/log.hpp"
#include "common/systemd.hpp"
#include "config/keyd/config.hpp"
#include "keyd/server/routes/routes.hpp"
#include "keyd/server/service.hpp"

namespace edgesec::keyd {

int Main(int argc, char** argv) {
  auto args = ParseDaemonArgs(argc, argv);
  if (!args) {
    std::fprintf(stderr, "edgesec-keyd: %s\n", args.error().message.c_str());
    return 2;
  }
  if (args->help) {
    std::fputs(
        DaemonUsage("edgesec-keyd",
                    "The edgesec key service: holds private and secret keys behind key engines\n"
                    "and serves the keys API on DIR/run/edgesec/keyd.sock.")
            .c_str(),
        stdout);
    return 0;
  }
  if (args->version) {
    std::printf("edgesec-keyd %s\n", EDGESEC_VERSION);
    return 0;
  }
  const Layout& layout = args->layout;
  systemd::BlockSignals();

  auto config = LoadKeydConfig(layout);
  if (!config) {
    log::Error("keyd: " + config.error().Describe());
    return 1;
  }
  auto service = KeyService::Create(layout, *config);
  if (!service) {
    log::Error("keyd: cannot start: " + service.error().Describe());
    return 1;
  }
  if (auto st = fs::MakeDirs(layout.run(), 0755); !st) {
    log::Error("keyd: " + st.error().Describe());
    return 1;
  }
  auto fd = systemd::ListenSocket(layout.Socket("keyd"), "keyd", config->socket_mode);
  if (!fd) {
    log::Error("keyd: " + fd.error().Describe());
    return 1;
  }
  http::Router router = routes::MakeRouter(**service);
  auto server =
      http::Server::Start(*fd, [&router](const http::Request& r) { return router.Dispatch(r); });
  if (!server) {
    log::Error("keyd: " + server.error().Describe());
    return 1;
  }
  log::Info("keyd ready on '" + layout.Socket("keyd") + "'");
  systemd::NotifyReady("serving keys");

  systemd::WaitForSignals([&] {
    auto fresh = LoadKeydConfig(layout);
    Status st = fresh ? (*service)->Reload(*fresh) : Status(fresh.error());
    if (st)
      log::Info("keyd: configuration reloaded");
    else
      log::Error("keyd: reload failed, keeping the running configuration: " +
                 st.error().Describe());
  });
  (*server)->Stop();
  systemd::ReleaseSocket(layout.Socket("keyd"));
  log::Info("keyd stopped");
  return 0;
}

}  // namespace edgesec::keyd

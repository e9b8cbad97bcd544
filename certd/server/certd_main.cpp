#include "certd/server/certd_main.hpp"

#include <chrono>
#include <cstdio>

#include "certd/server/config.hpp"
#include "certd/server/routes/routes.hpp"
#include "certd/server/service.hpp"
#include "common/daemon_args.hpp"
#include "common/fs.hpp"
#include "common/http/server.hpp"
#include "common/log.hpp"
#include "common/systemd.hpp"

namespace edgesec::certd {

int Main(int argc, char** argv) {
  auto args = ParseDaemonArgs(argc, argv);
  if (!args) {
    std::fprintf(stderr, "edgesec-certd: %s\n", args.error().message.c_str());
    return 2;
  }
  if (args->help) {
    std::fputs(
        DaemonUsage("edgesec-certd",
                    "The edgesec certificate service: the cert store, import and local issuance\n"
                    "(signing with keys held by keyd); serves the certificates API on\n"
                    "DIR/run/edgesec/certd.sock.")
            .c_str(),
        stdout);
    return 0;
  }
  if (args->version) {
    std::printf("edgesec-certd %s\n", EDGESEC_VERSION);
    return 0;
  }
  const Layout& layout = args->layout;
  systemd::BlockSignals();

  auto config = LoadCertdConfig(layout);
  if (!config) {
    log::Error("certd: " + config.error().Describe());
    return 1;
  }
  auto service = CertService::Create(layout, *config);
  if (!service) {
    log::Error("certd: cannot start: " + service.error().Describe());
    return 1;
  }
  if (auto st = fs::MakeDirs(layout.run(), 0755); !st) {
    log::Error("certd: " + st.error().Describe());
    return 1;
  }
  auto fd = systemd::ListenSocket(layout.Socket("certd"), "certd", config->socket_mode);
  if (!fd) {
    log::Error("certd: " + fd.error().Describe());
    return 1;
  }
  http::Router router = routes::MakeRouter(**service);
  auto server =
      http::Server::Start(*fd, [&router](const http::Request& r) { return router.Dispatch(r); });
  if (!server) {
    log::Error("certd: " + server.error().Describe());
    return 1;
  }
  log::Info("certd ready on '" + layout.Socket("certd") + "'");
  systemd::NotifyReady("serving certificates");

  systemd::WaitForSignals([&] {
    auto fresh = LoadCertdConfig(layout);
    Status st = fresh ? (*service)->Reload(*fresh) : Status(fresh.error());
    if (st)
      log::Info("certd: configuration reloaded");
    else
      log::Error("certd: reload failed, keeping the running configuration: " +
                 st.error().Describe());
  });
  (*server)->Stop();
  systemd::ReleaseSocket(layout.Socket("certd"));
  log::Info("certd stopped");
  return 0;
}

}  // namespace edgesec::certd

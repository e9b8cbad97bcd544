#include "certd/server/certd_main.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "certd/renewal/pause.hpp"
#include "certd/server/config.hpp"
#include "certd/server/routes/routes.hpp"
#include "certd/server/service.hpp"
#include "common/clock.hpp"
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
                    "The edgesec certificate service: the cert store, import, local issuance\n"
                    "(signing with keys held by keyd), the EST client and automatic renewal;\n"
                    "serves the certificates API on DIR/run/edgesec/certd.sock.")
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
  // Test hooks, honoured only in test/dev mode (--root): a clock offset file and a pause point.
  std::shared_ptr<const Clock> clock;
  if (auto test_clock = TestClockFromEnv(layout)) {
    log::Warning("certd: test clock: wall time + the offset in '" + test_clock->path() + "'");
    clock = test_clock;
  }
  if (!layout.root.empty()) {
    if (const char* phase = std::getenv("EDGESEC_TEST_PAUSE"); phase && *phase)
      renewal::EnablePausePoint(phase, layout.ServiceStateDir("certd"));
  }
  auto service = CertService::Create(layout, *config, clock);
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
  (*service)->StartScheduler();
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
  (*service)->Shutdown();  // the scheduler, and long-polls that would hold the server's stop
  (*server)->Stop();
  systemd::ReleaseSocket(layout.Socket("certd"));
  log::Info("certd stopped");
  return 0;
}

}  // namespace edgesec::certd

#include "daemon/server/identityd_main.hpp"

#include <cstdio>

#include "common/daemon_args.hpp"
#include "common/fs.hpp"
#include "common/http/server.hpp"
#include "common/log.hpp"
#include "common/systemd.hpp"
#include "daemon/server/config.hpp"
#include "daemon/server/routes/routes.hpp"
#include "daemon/server/service.hpp"

namespace edgesec::identityd {
namespace {

int Fail(const std::string& message) {
  log::Error("identityd: " + message);
  return 1;
}

}  // namespace

int Main(int argc, char** argv) {
  auto args = ParseDaemonArgs(argc, argv);
  if (!args) {
    std::fprintf(stderr, "edgesec-identityd: %s\n", args.error().message.c_str());
    return 2;
  }
  if (args->help) {
    std::fputs(DaemonUsage(
                   "edgesec-identityd",
                   "The edgesec identity daemon: the device identity, local module identities,\n"
                   "the Edge CA's module server certificates and the trust bundle. Serves the\n"
                   "identity API on DIR/run/edgesec/identityd.sock and IoT Edge's workload API on\n"
                   "DIR/run/edgesec/workload.sock; keys and certs are held by keyd and certd.")
                   .c_str(),
               stdout);
    return 0;
  }
  if (args->version) {
    std::printf("edgesec-identityd %s\n", EDGESEC_VERSION);
    return 0;
  }
  const Layout& layout = args->layout;
  systemd::BlockSignals();

  auto config = LoadIdentitydConfig(layout);
  if (!config) return Fail(config.error().Describe());
  // The EDGESEC_TEST_CLOCK_FILE hook, as certd honours it (only under --root).
  std::shared_ptr<const Clock> clock = TestClockFromEnv(layout);
  if (!clock) clock = std::make_shared<SystemClock>();
  auto service = IdentityService::Create(layout, *config, std::move(clock));
  if (!service) return Fail("cannot start: " + service.error().Describe());
  if (auto st = fs::MakeDirs(layout.run(), 0755); !st) return Fail(st.error().Describe());
  auto identity_fd =
      systemd::ListenSocket(layout.Socket("identityd"), "identityd", config->socket_mode);
  if (!identity_fd) return Fail(identity_fd.error().Describe());
  auto workload_fd =
      systemd::ListenSocket(layout.Socket("workload"), "workload", config->workload_socket_mode);
  if (!workload_fd) return Fail(workload_fd.error().Describe());

  http::Router identity_router = routes::MakeIdentityRouter(**service);
  http::Router workload_router = routes::MakeWorkloadRouter(**service);
  auto identity_server = http::Server::Start(
      *identity_fd, [&](const http::Request& r) { return identity_router.Dispatch(r); });
  if (!identity_server) return Fail(identity_server.error().Describe());
  auto workload_server = http::Server::Start(
      *workload_fd, [&](const http::Request& r) { return workload_router.Dispatch(r); });
  if (!workload_server) return Fail(workload_server.error().Describe());

  (*service)->edge_ca().StartWatching();
  log::Info("identityd ready on '" + layout.Socket("identityd") + "' and '" +
            layout.Socket("workload") + "'");
  systemd::NotifyReady("serving identities and the workload API");

  systemd::WaitForSignals([&] {
    auto fresh = LoadIdentitydConfig(layout);
    Status st = fresh ? (*service)->Reload(*fresh) : Status(fresh.error());
    if (st) {
      log::Info("identityd: configuration reloaded");
      if (Status r = (*service)->edge_ca().Refresh(); !r)
        log::Warning("identityd: " + r.error().message);
    } else {
      log::Error("identityd: reload failed, keeping the running configuration: " +
                 st.error().Describe());
    }
  });
  (*service)->edge_ca().StopWatching();
  (*workload_server)->Stop();
  (*identity_server)->Stop();
  systemd::ReleaseSocket(layout.Socket("workload"));
  systemd::ReleaseSocket(layout.Socket("identityd"));
  log::Info("identityd stopped");
  return 0;
}

}  // namespace edgesec::identityd

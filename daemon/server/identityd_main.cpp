#include "daemon/server/identityd_main.hpp"

#include <memory>

#include "common/clock.hpp"
#include "common/daemon.hpp"
#include "common/http/metrics_route.hpp"
#include "common/log.hpp"
#include "config/identityd/config.hpp"
#include "daemon/server/routes/routes.hpp"
#include "daemon/server/service.hpp"

namespace edgesec::identityd {
namespace {

std::vector<uid_t> PrincipalUids(const IdentitydConfig& config) {
  std::vector<uid_t> uids;
  for (const Principal& p : config.principals) uids.push_back(p.uid);
  return uids;
}

Expected<DaemonParts> Setup(const Layout& layout) {
  EDGESEC_ASSIGN_OR_RETURN(IdentitydConfig config, LoadIdentitydConfig(layout));
  std::shared_ptr<const Clock> clock = TestClockFromEnv(layout);
  if (!clock) clock = std::make_shared<SystemClock>();
  auto created = IdentityService::Create(layout, config, std::move(clock));
  if (!created) return created.error().Context("cannot start");
  std::shared_ptr<IdentityService> service = std::move(*created);
  // Each socket has its own limit: a flood of the workload API leaves the identity API alone.
  auto identity_per_uid = std::make_shared<http::UidLimit>(config.max_requests);
  auto workload_per_uid = std::make_shared<http::UidLimit>(config.workload_max_requests);
  // GET /metrics on identityd.sock only: workload.sock is open to every uid.
  auto readers = std::make_shared<http::MetricsReaders>(PrincipalUids(config));
  http::Router identity_router = routes::MakeIdentityRouter(*service);
  http::AddMetricsRoute(identity_router, "2020-09-01", readers, nullptr);
  DaemonParts parts;
  parts.listeners.push_back({"identityd", config.socket_mode,
                             RouterHandler(std::move(identity_router)), identity_per_uid});
  parts.listeners.push_back({"workload", config.workload_socket_mode,
                             RouterHandler(routes::MakeWorkloadRouter(*service)),
                             workload_per_uid});
  parts.after_start = [service] { service->edge_ca().StartWatching(); };
  parts.reload = [service, layout, identity_per_uid, workload_per_uid, readers]() -> Status {
    EDGESEC_ASSIGN_OR_RETURN(IdentitydConfig fresh, LoadIdentitydConfig(layout));
    EDGESEC_TRY(service->Reload(fresh));
    readers->Set(PrincipalUids(fresh));
    identity_per_uid->SetMax(fresh.max_requests);
    workload_per_uid->SetMax(fresh.workload_max_requests);
    if (Status r = service->edge_ca().Refresh(); !r)
      log::Warning("identityd: " + r.error().message);
    return {};
  };
  parts.before_stop = [service] { service->edge_ca().StopWatching(); };
  parts.keep_alive = service;
  return parts;
}

}  // namespace

int Main(int argc, char** argv) {
  return RunDaemon(
      argc, argv,
      {"identityd",
       "The edgesec identity daemon: the device identity, local module identities,\n"
       "the Edge CA's module server certificates and the trust bundle. Serves the\n"
       "identity API on DIR/run/edgesec/identityd.sock and IoT Edge's workload API on\n"
       "DIR/run/edgesec/workload.sock; keys and certs are held by keyd and certd.",
       "serving identities and the workload API"},
      Setup);
}

}  // namespace edgesec::identityd

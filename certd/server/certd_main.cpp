#include "certd/server/certd_main.hpp"

#include <cstdlib>
#include <memory>

#include "certd/renewal/pause.hpp"
#include "certd/server/routes/routes.hpp"
#include "certd/server/service.hpp"
#include "common/clock.hpp"
#include "common/daemon.hpp"
#include "common/http/metrics_route.hpp"
#include "common/log.hpp"
#include "config/certd/config.hpp"

namespace edgesec::certd {
namespace {

// Test hooks, honoured only in test/dev mode (--root): a clock offset file and a pause point.
std::shared_ptr<const Clock> TestHooks(const Layout& layout) {
  std::shared_ptr<const Clock> clock;
  if (auto test_clock = TestClockFromEnv(layout)) {
    log::Warning("certd: test clock: wall time + the offset in '" + test_clock->path() + "'");
    clock = test_clock;
  }
  if (layout.root.empty()) return clock;
  if (const char* phase = std::getenv("EDGESEC_TEST_PAUSE"); phase && *phase)
    renewal::EnablePausePoint(phase, layout.ServiceStateDir("certd"));
  return clock;
}

std::vector<uid_t> PrincipalUids(const CertdConfig& config) {
  std::vector<uid_t> uids;
  for (const Principal& p : config.principals) uids.push_back(p.uid);
  return uids;
}

Expected<DaemonParts> Setup(const Layout& layout) {
  EDGESEC_ASSIGN_OR_RETURN(CertdConfig config, LoadCertdConfig(layout));
  auto created = CertService::Create(layout, config, TestHooks(layout));
  if (!created) return created.error().Context("cannot start");
  std::shared_ptr<CertService> service = std::move(*created);
  auto per_uid = std::make_shared<http::UidLimit>(config.max_requests);
  auto readers = std::make_shared<http::MetricsReaders>(PrincipalUids(config));
  http::Router router = routes::MakeRouter(*service);
  http::AddMetricsRoute(router, "2020-09-01", readers,
                        [service] { return service->MetricFamilies(); });
  DaemonParts parts;
  parts.listeners.push_back({"certd", config.socket_mode, RouterHandler(std::move(router)), per_uid});
  parts.after_start = [service] { service->StartScheduler(); };
  parts.reload = [service, layout, per_uid, readers]() -> Status {
    EDGESEC_ASSIGN_OR_RETURN(CertdConfig fresh, LoadCertdConfig(layout));
    EDGESEC_TRY(service->Reload(fresh));
    readers->Set(PrincipalUids(fresh));
    per_uid->SetMax(fresh.max_requests);
    return {};
  };
  // The scheduler, and long-polls that would hold the server's stop.
  parts.before_stop = [service] { service->Shutdown(); };
  parts.keep_alive = service;
  return parts;
}

}  // namespace

int Main(int argc, char** argv) {
  return RunDaemon(argc, argv,
                   {"certd",
                    "The edgesec certificate service: the cert store, import, local issuance\n"
                    "(signing with keys held by keyd), the EST client and automatic renewal;\n"
                    "serves the certificates API on DIR/run/edgesec/certd.sock.",
                    "serving certificates"},
                   Setup);
}

}  // namespace edgesec::certd

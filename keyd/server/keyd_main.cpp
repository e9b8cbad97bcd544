#include "keyd/server/keyd_main.hpp"

#include <memory>

#include "common/daemon.hpp"
#include "common/http/metrics_route.hpp"
#include "config/keyd/config.hpp"
#include "keyd/server/audit/audit_route.hpp"
#include "keyd/server/routes/routes.hpp"
#include "keyd/server/service.hpp"

namespace edgesec::keyd {
namespace {

std::vector<uid_t> PrincipalUids(const KeydConfig& config) {
  std::vector<uid_t> uids;
  for (const Principal& p : config.principals) uids.push_back(p.uid);
  return uids;
}

Expected<DaemonParts> Setup(const Layout& layout) {
  EDGESEC_ASSIGN_OR_RETURN(KeydConfig config, LoadKeydConfig(layout));
  auto created = KeyService::Create(layout, config);
  if (!created) return created.error().Context("cannot start");
  std::shared_ptr<KeyService> service = std::move(*created);
  // The audit log (docs/audit.md): written last when keyd stops, once the servers stopped.
  std::shared_ptr<audit::Auditor> auditor = audit::Auditor::Start(layout, config);
  service->SetAuditor(auditor);
  auto per_uid = std::make_shared<http::UidLimit>(config.max_requests);
  auto readers = std::make_shared<http::MetricsReaders>(PrincipalUids(config));
  http::Router router = routes::MakeRouter(*service);
  audit::AddAuditRoute(router, auditor);
  http::AddMetricsRoute(router, "2020-09-01", readers, nullptr);
  DaemonParts parts;
  parts.listeners.push_back(
      {"keyd", config.socket_mode, RouterHandler(std::move(router)), per_uid});
  parts.reload = [service, auditor, layout, per_uid, readers]() -> Status {
    EDGESEC_ASSIGN_OR_RETURN(KeydConfig fresh, LoadKeydConfig(layout));
    EDGESEC_TRY(service->Reload(fresh));
    auditor->Configure(fresh);
    readers->Set(PrincipalUids(fresh));
    per_uid->SetMax(fresh.max_requests);
    return {};
  };
  parts.keep_alive = service;
  return parts;
}

}  // namespace

int Main(int argc, char** argv) {
  return RunDaemon(argc, argv,
                   {"keyd",
                    "The edgesec key service: holds private and secret keys behind key engines\n"
                    "and serves the keys API on DIR/run/edgesec/keyd.sock.",
                    "serving keys"},
                   Setup);
}

}  // namespace edgesec::keyd

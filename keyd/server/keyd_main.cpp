#include "keyd/server/keyd_main.hpp"

#include <memory>

#include "common/daemon.hpp"
#include "config/keyd/config.hpp"
#include "keyd/server/routes/routes.hpp"
#include "keyd/server/service.hpp"

namespace edgesec::keyd {
namespace {

Expected<DaemonParts> Setup(const Layout& layout) {
  EDGESEC_ASSIGN_OR_RETURN(KeydConfig config, LoadKeydConfig(layout));
  auto created = KeyService::Create(layout, config);
  if (!created) return created.error().Context("cannot start");
  std::shared_ptr<KeyService> service = std::move(*created);
  auto per_uid = std::make_shared<http::UidLimit>(config.max_requests);
  DaemonParts parts;
  parts.listeners.push_back(
      {"keyd", config.socket_mode, RouterHandler(routes::MakeRouter(*service)), per_uid});
  parts.reload = [service, layout, per_uid]() -> Status {
    EDGESEC_ASSIGN_OR_RETURN(KeydConfig fresh, LoadKeydConfig(layout));
    EDGESEC_TRY(service->Reload(fresh));
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

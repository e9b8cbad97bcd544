// GET /version (edgesec addition; answers any caller that can reach the socket)
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddVersionRoute(http::Router& router, const std::string& min_version) {
  router.Add("GET", "/version", min_version, [](const http::Call&) -> Expected<http::Reply> {
    return http::Reply::Ok({{"name", "edgesec-identityd"}, {"version", EDGESEC_VERSION}});
  });
}

}  // namespace edgesec::identityd::routes

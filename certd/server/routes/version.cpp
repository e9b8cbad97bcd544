// GET /version (edgesec addition; answers any caller that can reach the socket: it names no cert)
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddVersionRoute(http::Router& router, const char* name) {
  std::string n(name);
  router.Add("GET", "/version", "2020-09-01", [n](const http::Call&) -> Expected<http::Reply> {
    return http::Reply::Ok({{"name", n}, {"version", EDGESEC_VERSION}});
  });
}

}  // namespace edgesec::certd::routes

// GET /edge-ca (edgesec: the Edge CA, the earlier ones still trusted, certd's renewal state)
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddEdgeCaRoute(http::Router& router, IdentityService& service) {
  router.Add("GET", "/edge-ca", "2020-09-01",
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(auto status, service.EdgeCaStatus(CallerOf(call)));
               return http::Reply::Ok(status.ToJson());
             }));
}

}  // namespace edgesec::identityd::routes

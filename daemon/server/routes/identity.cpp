// GET /identities/identity (the caller's identity: the device's, or its module's)
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddIdentityRoute(http::Router& router, IdentityService& service) {
  router.Add("GET", "/identities/identity", "2020-09-01",
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json identity, service.Identity(CallerOf(call)));
               return http::Reply::Ok(std::move(identity));
             }));
}

}  // namespace edgesec::identityd::routes

// POST /modules/{moduleId}/genid/{genId}/certificate/server (workload API)
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddServerCertRoutes(http::Router& router, IdentityService& service) {
  router.Add("POST", "/modules/{moduleId}/genid/{genId}/certificate/server", "2018-06-28",
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto request, api::ServerCertRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(api::IssuedCert cert,
                                        service.ServerCert(CallerOf(call), call.Param("moduleId"),
                                                           call.Param("genId"), request));
               return http::Reply::Created(cert.ToJson());
             }));
}

}  // namespace edgesec::identityd::routes

// POST /modules/{moduleId}[/genid/{genId}]/certificate/identity (workload API: CN = module id,
// EKU clientAuth)
#include "common/ids.hpp"
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddIdentityCertRoutes(http::Router& router, IdentityService& service) {
  auto handler = RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
    if (auto gen = call.params.find("genId"); gen != call.params.end())
      EDGESEC_TRY(ValidateId(gen->second, "genId"));
    EDGESEC_ASSIGN_OR_RETURN(api::IssuedCert cert,
                             service.IdentityCert(CallerOf(call), call.Param("moduleId")));
    return http::Reply::Created(cert.ToJson());
  });
  router.Add("POST", "/modules/{moduleId}/genid/{genId}/certificate/identity", "2018-06-28",
             handler);
  router.Add("POST", "/modules/{moduleId}/certificate/identity", "2018-06-28", handler);
}

}  // namespace edgesec::identityd::routes

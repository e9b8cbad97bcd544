// POST /certificates/{certId}/revocation-check (edgesec): look the cert up in its CRLs now.
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddRevocationRoute(http::Router& router, CertService& service) {
  router.Add("POST", "/certificates/{certId}/revocation-check", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(
                   api::CertInfo info,
                   service.CheckRevocation(CallerOf(call), call.Param("certId")));
               return http::Reply::Ok(info.ToJson());
             });
}

}  // namespace edgesec::certd::routes

// DELETE /certificates/{certId} (204 also when absent; 400 for a preloaded cert, whose file is
// never deleted)
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddDeleteRoute(http::Router& router, CertService& service) {
  router.Add("DELETE", "/certificates/{certId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_TRY(service.Delete(CallerOf(call), call.Param("certId")));
               return http::Reply::NoContent();
             });
}

}  // namespace edgesec::certd::routes

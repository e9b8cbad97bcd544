// GET /certificates/{certId}
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddGetRoute(http::Router& router, CertService& service) {
  router.Add("GET", "/certificates/{certId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(std::string pem,
                                        service.Get(CallerOf(call), call.Param("certId")));
               return http::Reply::Ok(api::PemBody{pem}.ToJson());
             });
}

}  // namespace edgesec::certd::routes

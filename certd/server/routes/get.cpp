// GET /certificates/{certId}; GET /certificates/{certId}/history (edgesec)
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddGetRoute(http::Router& router, CertService& service) {
  router.Add("GET", "/certificates/{certId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               // edgesec: "status", "type", "level" beside "pem" (lifecycle_api.hpp)
               EDGESEC_ASSIGN_OR_RETURN(api::CertInfo info,
                                        service.GetInfo(CallerOf(call), call.Param("certId")));
               return http::Reply::Ok(info.ToJson());
             });
  router.Add("GET", "/certificates/{certId}/history", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(api::HistoryResponse history,
                                        service.History(CallerOf(call), call.Param("certId")));
               return http::Reply::Ok(history.ToJson());
             });
}

}  // namespace edgesec::certd::routes

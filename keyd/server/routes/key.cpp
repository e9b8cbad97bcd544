// POST /key, GET /key/{keyId}, DELETE /key
#include "keyd/server/routes/routes.hpp"

namespace edgesec::keyd::routes {

void AddKeyRoutes(http::Router& router, KeyService& service) {
  router.Add("POST", "/key", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::CreateKeyRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(std::string handle, service.CreateKey(CallerOf(call), req));
               return http::Reply::Ok({{"keyHandle", handle}});
             });
  router.Add("GET", "/key/{keyId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(std::string handle,
                                        service.GetKey(CallerOf(call), call.Param("keyId")));
               return http::Reply::Ok({{"keyHandle", handle}});
             });
  router.Add("DELETE", "/key", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::HandleRequest::FromJson(body));
               EDGESEC_TRY(service.DeleteKey(CallerOf(call), req.key_handle));
               return http::Reply::NoContent();
             });
}

}  // namespace edgesec::keyd::routes

// POST /parameters/{name}
#include "keyd/server/routes/routes.hpp"

namespace edgesec::keyd::routes {

void AddParameterRoutes(http::Router& router, KeyService& service) {
  router.Add("POST", "/parameters/{name}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::HandleRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(
                   std::string value,
                   service.GetParameter(CallerOf(call), req.key_handle, call.Param("name")));
               return http::Reply::Ok({{"value", value}});
             });
}

}  // namespace edgesec::keyd::routes

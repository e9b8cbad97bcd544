// GET, POST /identities/modules; GET, DELETE /identities/modules/{moduleId} (local identities)
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddModuleRoutes(http::Router& router, IdentityService& service) {
  router.Add("GET", "/identities/modules", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(auto list, service.ListModules(CallerOf(call)));
               return http::Reply::Ok(list.ToJson());
             });
  router.Add("POST", "/identities/modules", "2020-09-01",
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto request, api::CreateModuleRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(Json identity,
                                        service.CreateModule(CallerOf(call), request));
               return http::Reply::Ok(std::move(identity));
             }));
  router.Add("GET", "/identities/modules/{moduleId}", "2020-09-01",
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json identity,
                                        service.GetModule(CallerOf(call), call.Param("moduleId")));
               return http::Reply::Ok(std::move(identity));
             }));
  router.Add("DELETE", "/identities/modules/{moduleId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_TRY(service.DeleteModule(CallerOf(call), call.Param("moduleId")));
               return http::Reply::NoContent();
             });
}

}  // namespace edgesec::identityd::routes

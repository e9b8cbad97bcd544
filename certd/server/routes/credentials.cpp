// GET /credentials and GET /credentials/{certId} (edgesec): the renewal state of the credentials
// of certd's config.
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddCredentialsRoutes(http::Router& router, CertService& service) {
  router.Add("GET", "/credentials", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(auto list, service.Credentials(CallerOf(call)));
               return http::Reply::Ok(api::ListCredentialsResponse{std::move(list)}.ToJson());
             });
  router.Add("GET", "/credentials/{certId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(auto st,
                                        service.Credential(CallerOf(call), call.Param("certId")));
               return http::Reply::Ok(st.ToJson());
             });
}

}  // namespace edgesec::certd::routes

// POST /sign
#include "common/base64.hpp"
#include "keyd/server/routes/routes.hpp"

namespace edgesec::keyd::routes {

void AddSignRoutes(http::Router& router, KeyService& service) {
  router.Add("POST", "/sign", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::SignRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(Bytes signature, service.Sign(CallerOf(call), req));
               return http::Reply::Ok({{"signature", Base64Encode(signature)}});
             });
}

}  // namespace edgesec::keyd::routes

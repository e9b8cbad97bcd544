// POST /credentials/{certId}/renew (renew now, any issuing method; 200 only after the new cert is
// committed)
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddRenewRoute(http::Router& router, CertService& service) {
  router.Add("POST", "/credentials/{certId}/renew", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               std::optional<bool> rotate;  // edgesec: {"rotateKey": false} keeps the key this once
               if (auto it = body.find("rotateKey"); it != body.end() && !it->is_null()) {
                 if (!it->is_boolean())
                   return InvalidParameter("parameter 'rotateKey' must be true or false");
                 rotate = it->get<bool>();
               }
               bool if_needed = false;  // edgesec: {"ifNeeded": true}, see CertService::Renew
               if (auto it = body.find("ifNeeded"); it != body.end() && !it->is_null()) {
                 if (!it->is_boolean())
                   return InvalidParameter("parameter 'ifNeeded' must be true or false");
                 if_needed = it->get<bool>();
               }
               std::string reason;  // edgesec: {"reason": "key-compromise"}, see CertService::Renew
               if (auto it = body.find("reason"); it != body.end() && !it->is_null()) {
                 if (!it->is_string())
                   return InvalidParameter("parameter 'reason' must be a string");
                 reason = it->get<std::string>();
               }
               EDGESEC_ASSIGN_OR_RETURN(
                   std::string pem,
                   service.Renew(CallerOf(call), call.Param("certId"), rotate, if_needed, reason));
               return http::Reply::Ok(api::PemBody{pem}.ToJson());
             });
}

}  // namespace edgesec::certd::routes

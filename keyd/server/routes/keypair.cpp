// POST /keypair, GET|POST|PUT /keypair/{keyId}, DELETE /keypair, GET /keypairs
#include "keyd/server/routes/routes.hpp"

namespace edgesec::keyd::routes {

void AddKeyPairRoutes(http::Router& router, KeyService& service) {
  router.Add("POST", "/keypair", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::CreateKeyPairRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(std::string handle,
                                        service.CreateKeyPairIfNotExists(CallerOf(call), req.key_id,
                                                                         req.preferred_algorithms));
               return http::Reply::Ok({{"keyHandle", handle}});
             });
  router.Add("GET", "/keypair/{keyId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(std::string handle,
                                        service.GetKeyPair(CallerOf(call), call.Param("keyId")));
               return http::Reply::Ok({{"keyHandle", handle}});
             });
  router.Add("POST", "/keypair/{keyId}", "2021-05-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::MoveKeyPairRequest::FromJson(body));
               EDGESEC_TRY(service.MoveKeyPair(CallerOf(call), req.from, call.Param("keyId")));
               return http::Reply::NoContent();
             });
  router.Add("PUT", "/keypair/{keyId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::ImportKeyPairRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(
                   std::string handle,
                   service.ImportKeyPair(CallerOf(call), call.Param("keyId"), req.pkcs8_der));
               return http::Reply::Ok({{"keyHandle", handle}});
             });
  router.Add("DELETE", "/keypair", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::HandleRequest::FromJson(body));
               EDGESEC_TRY(service.DeleteKeyPair(CallerOf(call), req.key_handle));
               return http::Reply::NoContent();
             });
  router.Add("GET", "/keypairs", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(auto keys, service.ListKeyPairs(CallerOf(call)));
               Json list = Json::array();
               for (const auto& k : keys)
                 list.push_back({{"keyId", k.key_id},
                                 {"engine", k.engine},
                                 {"algorithm", k.algorithm},
                                 {"securityLevel", "SL" + std::to_string(k.security_level)}});
               return http::Reply::Ok({{"keys", list}});
             });
}

}  // namespace edgesec::keyd::routes

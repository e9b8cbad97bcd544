// POST /derivedkey, POST /derivedkey/export
#include "common/base64.hpp"
#include "keyd/server/routes/routes.hpp"

namespace edgesec::keyd::routes {

void AddDerivedKeyRoutes(http::Router& router, KeyService& service) {
  router.Add("POST", "/derivedkey", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::DeriveKeyRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(std::string handle, service.DeriveKey(CallerOf(call), req));
               return http::Reply::Ok({{"keyHandle", handle}});
             });
  router.Add("POST", "/derivedkey/export", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::HandleRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(Bytes key,
                                        service.ExportDerivedKey(CallerOf(call), req.key_handle));
               Json reply{{"key", Base64Encode(key)}};
               OPENSSL_cleanse(key.data(), key.size());
               return http::Reply::Ok(std::move(reply));
             });
}

}  // namespace edgesec::keyd::routes

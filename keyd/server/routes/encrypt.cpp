// POST /encrypt, POST /decrypt
#include "common/base64.hpp"
#include "keyd/server/routes/routes.hpp"

namespace edgesec::keyd::routes {

void AddEncryptRoutes(http::Router& router, KeyService& service) {
  router.Add("POST", "/encrypt", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req,
                                        api::EncryptRequest::FromJson(body, /*decrypt=*/false));
               EDGESEC_ASSIGN_OR_RETURN(Bytes out, service.Encrypt(CallerOf(call), req));
               return http::Reply::Ok({{"ciphertext", Base64Encode(out)}});
             });
  router.Add("POST", "/decrypt", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req,
                                        api::EncryptRequest::FromJson(body, /*decrypt=*/true));
               EDGESEC_ASSIGN_OR_RETURN(Bytes out, service.Decrypt(CallerOf(call), req));
               Json reply{{"plaintext", Base64Encode(out)}};
               OPENSSL_cleanse(out.data(), out.size());
               return http::Reply::Ok(std::move(reply));
             });
}

}  // namespace edgesec::keyd::routes

// POST /modules/{moduleId}/genid/{genId}/decrypt (workload API): {"ciphertext",
// "initializationVector"} → {"plaintext"}; another module's, another genid's or an altered
// ciphertext is 400.
#include "common/base64.hpp"
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddDecryptRoute(http::Router& router, IdentityService& service) {
  router.Add("POST", "/modules/{moduleId}/genid/{genId}/decrypt", "2018-06-28",
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto request, api::ModuleDataRequest::FromJson(body, true));
               EDGESEC_ASSIGN_OR_RETURN(Bytes plaintext,
                                        service.ModuleCrypt(CallerOf(call), call.Param("moduleId"),
                                                            call.Param("genId"), request, true));
               Json reply{{"plaintext", Base64Encode(plaintext)}};
               OPENSSL_cleanse(plaintext.data(), plaintext.size());
               return http::Reply::Ok(std::move(reply));
             }));
}

}  // namespace edgesec::identityd::routes

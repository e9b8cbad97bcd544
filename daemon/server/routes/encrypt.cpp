// POST /modules/{moduleId}/genid/{genId}/encrypt (workload API):
// {"plaintext","initializationVector"} → {"ciphertext"}, AES-256-GCM in keyd bound to the module
// and genid.
#include "common/base64.hpp"
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddEncryptRoute(http::Router& router, IdentityService& service) {
  router.Add("POST", "/modules/{moduleId}/genid/{genId}/encrypt", "2018-06-28",
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto request,
                                        api::ModuleDataRequest::FromJson(body, false));
               EDGESEC_ASSIGN_OR_RETURN(Bytes ciphertext,
                                        service.ModuleCrypt(CallerOf(call), call.Param("moduleId"),
                                                            call.Param("genId"), request, false));
               return http::Reply::Ok(Json{{"ciphertext", Base64Encode(ciphertext)}});
             }));
}

}  // namespace edgesec::identityd::routes

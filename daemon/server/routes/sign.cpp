// POST /modules/{moduleId}/genid/{genId}/sign (workload API): HMAC with an IoT Hub module
// identity's SAS key. edgesec serves no IoT Hub identities, so this is a 400 that says so, in the
// workload API's error shape ({"message": …}), for every caller and body.
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddSignRoute(http::Router& router) {
  router.Add("POST", "/modules/{moduleId}/genid/{genId}/sign", "2018-06-28",
             [](const http::Call& call) -> Expected<http::Reply> {
               return InvalidParameter(
                   "signing with an IoT Hub module identity key (module '" +
                   call.Param("moduleId") +
                   "') is not supported: IoT Hub module keys are out of scope for edgesec; use the "
                   "module's certificates (…/certificate/identity, …/certificate/server) instead");
             });
}

}  // namespace edgesec::identityd::routes

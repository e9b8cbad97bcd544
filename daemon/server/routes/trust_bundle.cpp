// GET /trust-bundle (both sockets): trust_bundle_cert + the Edge CA chain + earlier Edge CAs that
// have not expired.
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddTrustBundleRoute(http::Router& router, IdentityService& service,
                         const std::string& min_version) {
  router.Add("GET", "/trust-bundle", min_version,
             RetryLater([&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(std::string pem, service.TrustBundle(CallerOf(call)));
               return http::Reply::Ok(api::TrustBundle{pem}.ToJson());
             }));
}

}  // namespace edgesec::identityd::routes

// GET /manifest-trust-bundle (workload API, 2020-07-07 and later): the config's
// manifest_trust_bundle_cert, or {"certificate": ""} when none is configured, as the peer answers.
#include "daemon/server/routes/routes.hpp"

namespace edgesec::identityd::routes {

void AddManifestTrustBundleRoute(http::Router& router, IdentityService& service) {
  router.Add("GET", "/manifest-trust-bundle", "2020-07-07",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(std::string pem,
                                        service.ManifestTrustBundle(CallerOf(call)));
               return http::Reply::Ok(api::TrustBundle{pem}.ToJson());
             });
}

}  // namespace edgesec::identityd::routes

#pragma once
// The routes of identityd's two sockets: the identity API (identityd.sock, 401 when denied) and
// IoT Edge's workload API (workload.sock, 403 when denied). Each parses the request, calls the
// IdentityService, writes the response.

#include "common/http/router.hpp"
#include "daemon/server/service.hpp"

namespace edgesec::identityd::routes {

inline Caller CallerOf(const http::Call& call) {
  return Caller{call.request.peer_uid};
}

// A not-ready answer (the Edge CA or the device identity being issued, certd unreachable): 503
// with Retry-After and the reason, as API.md asks; any other error goes to the router's mapping.
template <class F>
http::RouteHandler RetryLater(F handler) {
  return [handler](const http::Call& call) -> Expected<http::Reply> {
    Expected<http::Reply> reply = handler(call);
    if (reply || reply.error().kind != ErrorKind::kUnavailable) return reply;
    return http::Reply{503, Json{{"message", reply.error().message}}, {{"Retry-After", "10"}}};
  };
}

void AddIdentityRoute(http::Router& router, IdentityService& service);
void AddModuleRoutes(http::Router& router, IdentityService& service);
void AddEdgeCaRoute(http::Router& router, IdentityService& service);
void AddTrustBundleRoute(http::Router& router, IdentityService& service,
                         const std::string& min_version);
void AddServerCertRoutes(http::Router& router, IdentityService& service);
void AddIdentityCertRoutes(http::Router& router, IdentityService& service);
void AddVersionRoute(http::Router& router, const std::string& min_version);
void AddEncryptRoute(http::Router& router, IdentityService& service);
void AddDecryptRoute(http::Router& router, IdentityService& service);
void AddSignRoute(http::Router& router);
void AddManifestTrustBundleRoute(http::Router& router, IdentityService& service);

inline http::Router MakeIdentityRouter(IdentityService& service) {
  http::Router router(api::IdentityVersions(), 401);
  AddIdentityRoute(router, service);
  AddModuleRoutes(router, service);
  AddEdgeCaRoute(router, service);
  AddTrustBundleRoute(router, service, "2020-09-01");
  AddVersionRoute(router, "2020-09-01");
  return router;
}

inline http::Router MakeWorkloadRouter(IdentityService& service) {
  http::Router router(api::WorkloadVersions(), 403);
  AddServerCertRoutes(router, service);
  AddIdentityCertRoutes(router, service);
  AddTrustBundleRoute(router, service, "2018-06-28");
  AddManifestTrustBundleRoute(router, service);
  AddEncryptRoute(router, service);
  AddDecryptRoute(router, service);
  AddSignRoute(router);
  AddVersionRoute(router, "2018-06-28");
  return router;
}

}  // namespace edgesec::identityd::routes

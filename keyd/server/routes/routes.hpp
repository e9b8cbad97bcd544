#pragma once
// The keys API routes. Each parses the request, calls the KeyService, writes the response.

#include "common/http/router.hpp"
#include "keyd/server/service.hpp"

namespace edgesec::keyd::routes {

inline Caller CallerOf(const http::Call& call) {
  return Caller{call.request.peer_uid};
}

void AddKeyPairRoutes(http::Router& router, KeyService& service);
void AddParameterRoutes(http::Router& router, KeyService& service);
void AddSignRoutes(http::Router& router, KeyService& service);
void AddEncryptRoutes(http::Router& router, KeyService& service);
void AddKeyRoutes(http::Router& router, KeyService& service);
void AddDerivedKeyRoutes(http::Router& router, KeyService& service);
void AddVersionRoute(http::Router& router, const char* name);

inline http::Router MakeRouter(KeyService& service) {
  http::Router router(api::Versions(), 401);
  AddKeyPairRoutes(router, service);
  AddParameterRoutes(router, service);
  AddSignRoutes(router, service);
  AddEncryptRoutes(router, service);
  AddKeyRoutes(router, service);
  AddDerivedKeyRoutes(router, service);
  AddVersionRoute(router, "edgesec-keyd");
  return router;
}

}  // namespace edgesec::keyd::routes

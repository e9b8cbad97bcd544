#pragma once
// The certificates API routes. Each parses the request, calls the CertService, writes the response.

#include "certd/server/service.hpp"
#include "common/http/router.hpp"

namespace edgesec::certd::routes {

inline Caller CallerOf(const http::Call& call) {
  return Caller{call.request.peer_uid};
}

void AddCreateRoute(http::Router& router, CertService& service);
void AddImportRoute(http::Router& router, CertService& service);
void AddGetRoute(http::Router& router, CertService& service);
void AddDeleteRoute(http::Router& router, CertService& service);
void AddListRoute(http::Router& router, CertService& service);
void AddVersionRoute(http::Router& router, const char* name);
void AddRenewRoute(http::Router& router, CertService& service);
void AddCredentialsRoutes(http::Router& router, CertService& service);
void AddEventsRoute(http::Router& router, CertService& service);
void AddRevocationRoute(http::Router& router, CertService& service);

inline http::Router MakeRouter(CertService& service) {
  http::Router router(api::Versions(), 401);
  AddCreateRoute(router, service);
  AddImportRoute(router, service);
  AddGetRoute(router, service);
  AddDeleteRoute(router, service);
  AddListRoute(router, service);
  AddRenewRoute(router, service);
  AddCredentialsRoutes(router, service);
  AddEventsRoute(router, service);
  AddRevocationRoute(router, service);
  AddVersionRoute(router, "edgesec-certd");
  return router;
}

}  // namespace edgesec::certd::routes

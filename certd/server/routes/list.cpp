// GET /certificates (edgesec addition: the caller's certs with their SHA-256 fingerprints)
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddListRoute(http::Router& router, CertService& service) {
  router.Add("GET", "/certificates", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(auto certs, service.List(CallerOf(call)));
               return http::Reply::Ok(api::ListCertsResponse{std::move(certs)}.ToJson());
             });
}

}  // namespace edgesec::certd::routes

// POST /certificates (issue from a CSR)
#include "certd/server/routes/routes.hpp"
#include "keyd/client/audit_report.hpp"

namespace edgesec::certd::routes {

void AddCreateRoute(http::Router& router, CertService& service) {
  router.Add("POST", "/certificates", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::CreateCertRequest::FromJson(body));
               EDGESEC_ASSIGN_OR_RETURN(std::string pem, service.Issue(CallerOf(call), req));
               service.Audit(keyd::CertEvent("certd", "cert.issue", req.cert_id, pem));
               return http::Reply::Created(api::PemBody{pem}.ToJson());
             });
}

}  // namespace edgesec::certd::routes

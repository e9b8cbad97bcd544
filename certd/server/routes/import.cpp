// PUT /certificates/{certId} (import a PEM chain, validated)
#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {

void AddImportRoute(http::Router& router, CertService& service) {
  router.Add("PUT", "/certificates/{certId}", "2020-09-01",
             [&service](const http::Call& call) -> Expected<http::Reply> {
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_ASSIGN_OR_RETURN(auto req, api::PemBody::FromJson(body));
               // edgesec: "keyId", the keyd key the importer put the private key under
               EDGESEC_ASSIGN_OR_RETURN(auto key_id, JsonFields(body).OptionalString("keyId"));
               EDGESEC_ASSIGN_OR_RETURN(
                   std::string pem, service.Import(CallerOf(call), call.Param("certId"), req.pem,
                                                   key_id.value_or("")));
               return http::Reply::Created(api::PemBody{pem}.ToJson());
             });
}

}  // namespace edgesec::certd::routes

#include "daemon/client/identityd_client.hpp"

namespace edgesec::identityd {
namespace {

Expected<std::string> Bundle(const Json& j) {
  auto b = api::TrustBundle::FromJson(j);
  if (!b) return Internal("identityd answered without 'certificate'");
  return std::move(b->certificate);
}

Expected<api::IssuedCert> Issued(const Json& j) {
  auto c = api::IssuedCert::FromJson(j);
  if (!c) return Internal("identityd answered with a malformed certificate: " + c.error().message);
  return c;
}

}  // namespace

std::string IdentitydClient::Path(const std::string& route) {
  return route + "?api-version=" + api::kIdentityVersionLatest;
}

Expected<Json> IdentitydClient::Identity() {
  return http_.CallJson("GET", Path("/identities/identity"));
}

Expected<Json> IdentitydClient::EdgeCa() {
  return http_.CallJson("GET", Path("/edge-ca"));
}

Expected<std::string> IdentitydClient::TrustBundle() {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("GET", Path("/trust-bundle")));
  return Bundle(j);
}

Expected<Json> IdentitydClient::Version() {
  return http_.CallJson("GET", Path("/version"));
}

std::string WorkloadClient::Path(const std::string& route) {
  return route + "?api-version=" + api::kWorkloadVersionLatest;
}

Expected<api::IssuedCert> WorkloadClient::ServerCert(const std::string& module_id,
                                                     const std::string& gen_id,
                                                     const api::ServerCertRequest& request) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j, http_.CallJson("POST",
                             Path("/modules/" + http::EscapePathSegment(module_id) + "/genid/" +
                                  http::EscapePathSegment(gen_id) + "/certificate/server"),
                             request.ToJson()));
  return Issued(j);
}

Expected<api::IssuedCert> WorkloadClient::IdentityCert(const std::string& module_id) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j,
      http_.CallJson(
          "POST", Path("/modules/" + http::EscapePathSegment(module_id) + "/certificate/identity"),
          Json::object()));
  return Issued(j);
}

Expected<std::string> WorkloadClient::TrustBundle() {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("GET", Path("/trust-bundle")));
  return Bundle(j);
}

}  // namespace edgesec::identityd

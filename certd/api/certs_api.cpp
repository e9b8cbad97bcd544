#include "certd/api/certs_api.hpp"

namespace edgesec::certd::api {

Expected<CreateCertRequest> CreateCertRequest::FromJson(const Json& j) {
  JsonFields f(j);
  CreateCertRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.cert_id, f.RequiredString("certId"));
  EDGESEC_ASSIGN_OR_RETURN(auto csr,
                           f.OptionalString("csr"));  // edgesec: an est credential needs none
  r.csr = csr.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(r.profile, f.OptionalString("profile"));
  if (auto it = j.find("issuer"); it != j.end() && !it->is_null()) {
    EDGESEC_ASSIGN_OR_RETURN(JsonFields issuer, f.RequiredObject("issuer"));
    Issuer i;
    EDGESEC_ASSIGN_OR_RETURN(i.cert_id, issuer.RequiredString("certId"));
    EDGESEC_ASSIGN_OR_RETURN(i.private_key_handle, issuer.RequiredString("privateKeyHandle"));
    r.issuer = std::move(i);
  }
  return r;
}

Json CreateCertRequest::ToJson() const {
  Json j{{"certId", cert_id}};
  if (!csr.empty()) j["csr"] = csr;
  if (issuer)
    j["issuer"] =
        Json{{"certId", issuer->cert_id}, {"privateKeyHandle", issuer->private_key_handle}};
  if (profile) j["profile"] = *profile;
  return j;
}

Expected<PemBody> PemBody::FromJson(const Json& j) {
  PemBody r;
  EDGESEC_ASSIGN_OR_RETURN(r.pem, JsonFields(j).RequiredString("pem"));
  return r;
}
Json PemBody::ToJson() const {
  return Json{{"pem", pem}};
}

Expected<CertSummary> CertSummary::FromJson(const Json& j) {
  JsonFields f(j);
  CertSummary s;
  EDGESEC_ASSIGN_OR_RETURN(s.cert_id, f.RequiredString("certId"));
  EDGESEC_ASSIGN_OR_RETURN(s.subject, f.RequiredString("subject"));
  EDGESEC_ASSIGN_OR_RETURN(s.issuer, f.RequiredString("issuer"));
  EDGESEC_ASSIGN_OR_RETURN(s.not_before, f.RequiredString("notBefore"));
  EDGESEC_ASSIGN_OR_RETURN(s.not_after, f.RequiredString("notAfter"));
  EDGESEC_ASSIGN_OR_RETURN(s.sha256, f.RequiredString("sha256"));
  EDGESEC_ASSIGN_OR_RETURN(auto key_id, f.OptionalString("keyId"));
  s.key_id = key_id.value_or("");
  if (auto it = j.find("preloaded"); it != j.end()) {
    if (!it->is_boolean()) return InvalidParameter("parameter 'preloaded' must be a boolean");
    s.preloaded = it->get<bool>();
  }
  return s;
}

Json CertSummary::ToJson() const {
  Json j{{"certId", cert_id},       {"subject", subject},    {"issuer", issuer},
         {"notBefore", not_before}, {"notAfter", not_after}, {"sha256", sha256},
         {"preloaded", preloaded}};
  j["keyId"] = key_id.empty() ? Json(nullptr) : Json(key_id);
  return j;
}

Expected<ListCertsResponse> ListCertsResponse::FromJson(const Json& j) {
  auto it = j.find("certificates");
  if (it == j.end() || !it->is_array()) return InvalidParameter("missing parameter 'certificates'");
  ListCertsResponse r;
  for (const Json& e : *it) {
    if (!e.is_object()) return InvalidParameter("parameter 'certificates' must hold objects");
    EDGESEC_ASSIGN_OR_RETURN(auto s, CertSummary::FromJson(e));
    r.certificates.push_back(std::move(s));
  }
  return r;
}

Json ListCertsResponse::ToJson() const {
  Json list = Json::array();
  for (const auto& c : certificates) list.push_back(c.ToJson());
  return Json{{"certificates", list}};
}

}  // namespace edgesec::certd::api

#include "certd/api/certs_api.hpp"

namespace edgesec::certd::api {

Expected<CreateCertRequest> CreateCertRequest::FromJson(const Json& j) {
  JsonFields f(j);
  CreateCertRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.cert_id, f.RequiredString("certId"));
  EDGESEC_ASSIGN_OR_RETURN(auto csr, f.OptionalString("csr"));  // edgesec: optional
  r.csr = csr.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(r.profile, f.OptionalString("profile"));
  EDGESEC_ASSIGN_OR_RETURN(r.not_after, f.OptionalString("notAfter"));
  if (auto it = j.find("store"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return InvalidParameter("parameter 'store' must be true or false");
    r.store = it->get<bool>();
  }
  if (auto it = j.find("issuer"); it != j.end() && !it->is_null()) {
    EDGESEC_ASSIGN_OR_RETURN(JsonFields issuer, f.RequiredObject("issuer"));
    Issuer i;
    EDGESEC_ASSIGN_OR_RETURN(i.cert_id, issuer.RequiredString("certId"));
    EDGESEC_ASSIGN_OR_RETURN(auto handle, issuer.OptionalString("privateKeyHandle"));
    i.private_key_handle = handle.value_or("");
    r.issuer = std::move(i);
  }
  return r;
}

Json CreateCertRequest::ToJson() const {
  Json j{{"certId", cert_id}};
  if (!csr.empty()) j["csr"] = csr;
  if (issuer) {
    j["issuer"] = Json{{"certId", issuer->cert_id}};
    if (!issuer->private_key_handle.empty())
      j["issuer"]["privateKeyHandle"] = issuer->private_key_handle;
  }
  if (profile) j["profile"] = *profile;
  if (not_after) j["notAfter"] = *not_after;
  if (!store) j["store"] = false;
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
  EDGESEC_ASSIGN_OR_RETURN(s.lifecycle, CertLifecycle::FromJson(j));
  return s;
}

Json CertSummary::ToJson() const {
  Json j{{"certId", cert_id},       {"subject", subject},    {"issuer", issuer},
         {"notBefore", not_before}, {"notAfter", not_after}, {"sha256", sha256},
         {"preloaded", preloaded}};
  j["keyId"] = key_id.empty() ? Json(nullptr) : Json(key_id);
  if (!lifecycle.status.empty()) lifecycle.AddTo(j);
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

namespace {

Json OrNull(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

Expected<std::string> NullableString(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return InvalidParameter(std::string("parameter '") + name + "' must be a string or null");
  return it->get<std::string>();
}

}  // namespace

Expected<CredentialStatus> CredentialStatus::FromJson(const Json& j) {
  JsonFields f(j);
  CredentialStatus s;
  EDGESEC_ASSIGN_OR_RETURN(s.cert_id, f.RequiredString("certId"));
  EDGESEC_ASSIGN_OR_RETURN(s.key_id, NullableString(j, "keyId"));
  EDGESEC_ASSIGN_OR_RETURN(s.method, f.RequiredString("method"));
  if (auto it = j.find("autoRenew"); it != j.end() && it->is_boolean())
    s.auto_renew = it->get<bool>();
  EDGESEC_ASSIGN_OR_RETURN(s.next_renewal, NullableString(j, "nextRenewal"));
  EDGESEC_ASSIGN_OR_RETURN(s.last_attempt, NullableString(j, "lastAttempt"));
  if (auto it = j.find("attempts"); it != j.end() && it->is_number_integer())
    s.attempts = it->get<int>();
  EDGESEC_ASSIGN_OR_RETURN(s.last_error, NullableString(j, "lastError"));
  EDGESEC_ASSIGN_OR_RETURN(s.not_after, NullableString(j, "notAfter"));
  EDGESEC_ASSIGN_OR_RETURN(s.state, f.RequiredString("state"));
  if (auto it = j.find("maxWait"); it != j.end() && it->is_number_integer())
    s.max_wait_seconds = it->get<int64_t>();
  return s;
}

Json CredentialStatus::ToJson() const {
  Json j{{"certId", cert_id},
              {"keyId", OrNull(key_id)},
              {"method", method},
              {"autoRenew", auto_renew},
              {"nextRenewal", OrNull(next_renewal)},
              {"lastAttempt", OrNull(last_attempt)},
              {"attempts", attempts},
              {"lastError", OrNull(last_error)},
              {"notAfter", OrNull(not_after)},
              {"state", state}};
  if (max_wait_seconds > 0) j["maxWait"] = max_wait_seconds;
  return j;
}

Expected<ListCredentialsResponse> ListCredentialsResponse::FromJson(const Json& j) {
  auto it = j.find("credentials");
  if (it == j.end() || !it->is_array()) return InvalidParameter("missing parameter 'credentials'");
  ListCredentialsResponse r;
  for (const Json& e : *it) {
    if (!e.is_object()) return InvalidParameter("parameter 'credentials' must hold objects");
    EDGESEC_ASSIGN_OR_RETURN(auto s, CredentialStatus::FromJson(e));
    r.credentials.push_back(std::move(s));
  }
  return r;
}

Json ListCredentialsResponse::ToJson() const {
  Json list = Json::array();
  for (const auto& c : credentials) list.push_back(c.ToJson());
  return Json{{"credentials", list}};
}

Expected<EventsResponse> EventsResponse::FromJson(const Json& j) {
  EventsResponse r;
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned())
    return InvalidParameter("missing parameter 'seq'");
  r.seq = seq->get<uint64_t>();
  auto changed = j.find("changed");
  if (changed == j.end() || !changed->is_array())
    return InvalidParameter("missing parameter 'changed'");
  for (const Json& id : *changed)
    if (id.is_string()) r.changed.push_back(id.get<std::string>());
  if (auto it = j.find("reset"); it != j.end() && it->is_boolean()) r.reset = it->get<bool>();
  return r;
}

Json EventsResponse::ToJson() const {
  Json j{{"seq", seq}, {"changed", changed}};
  if (reset) j["reset"] = true;
  return j;
}

}  // namespace edgesec::certd::api

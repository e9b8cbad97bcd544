#include "daemon/api/identity_api.hpp"

#include "common/base64.hpp"

namespace edgesec::identityd::api {

Expected<ServerCertRequest> ServerCertRequest::FromJson(const Json& j) {
  JsonFields f(j);
  ServerCertRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.common_name, f.RequiredString("commonName"));
  EDGESEC_ASSIGN_OR_RETURN(r.expiration, f.OptionalString("expiration"));
  return r;
}

Json ServerCertRequest::ToJson() const {
  Json j{{"commonName", common_name}};
  if (expiration) j["expiration"] = *expiration;
  return j;
}

Expected<IssuedCert> IssuedCert::FromJson(const Json& j) {
  JsonFields f(j);
  IssuedCert c;
  EDGESEC_ASSIGN_OR_RETURN(JsonFields key, f.RequiredObject("privateKey"));
  EDGESEC_ASSIGN_OR_RETURN(c.private_key_pem, key.RequiredString("bytes"));
  EDGESEC_ASSIGN_OR_RETURN(c.certificate, f.RequiredString("certificate"));
  EDGESEC_ASSIGN_OR_RETURN(c.expiration, f.RequiredString("expiration"));
  return c;
}

Json IssuedCert::ToJson() const {
  return Json{{"privateKey", {{"type", "key"}, {"bytes", private_key_pem}}},
              {"certificate", certificate},
              {"expiration", expiration}};
}

Json IssuedCert::ToLocalAuthJson() const {
  return Json{
      {"privateKey", private_key_pem}, {"certificate", certificate}, {"expiration", expiration}};
}

Expected<ModuleDataRequest> ModuleDataRequest::FromJson(const Json& j, bool decrypt) {
  JsonFields f(j);
  ModuleDataRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.data, f.RequiredBytes(decrypt ? "ciphertext" : "plaintext"));
  EDGESEC_ASSIGN_OR_RETURN(r.iv, f.RequiredBytes("initializationVector"));
  return r;
}

Json ModuleDataRequest::ToJson(bool decrypt) const {
  return Json{{decrypt ? "ciphertext" : "plaintext", Base64Encode(data)},
              {"initializationVector", Base64Encode(iv)}};
}

Expected<CreateModuleRequest> CreateModuleRequest::FromJson(const Json& j) {
  JsonFields f(j);
  CreateModuleRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.type, f.RequiredString("type"));
  EDGESEC_ASSIGN_OR_RETURN(r.module_id, f.RequiredString("moduleId"));
  r.attributes = "server";
  if (auto it = j.find("localIdOpts"); it != j.end() && !it->is_null()) {
    EDGESEC_ASSIGN_OR_RETURN(JsonFields opts, f.RequiredObject("localIdOpts"));
    EDGESEC_ASSIGN_OR_RETURN(auto type, opts.OptionalString("type"));
    if (type && *type != "x509")
      return InvalidParameter("parameter 'localIdOpts.type' must be \"x509\"");
    EDGESEC_ASSIGN_OR_RETURN(auto attributes, opts.OptionalString("attributes"));
    if (attributes) r.attributes = *attributes;
  }
  if (r.attributes != "server" && r.attributes != "client")
    return InvalidParameter("parameter 'localIdOpts.attributes' must be \"server\" or \"client\"");
  return r;
}

Json CreateModuleRequest::ToJson() const {
  return Json{{"type", type},
              {"moduleId", module_id},
              {"localIdOpts", {{"type", "x509"}, {"attributes", attributes}}}};
}

Expected<TrustBundle> TrustBundle::FromJson(const Json& j) {
  TrustBundle b;
  EDGESEC_ASSIGN_OR_RETURN(b.certificate, JsonFields(j).RequiredString("certificate"));
  return b;
}

Expected<DeviceIdentity> DeviceIdentity::FromJson(const Json& j) {
  JsonFields f(j);
  DeviceIdentity d;
  EDGESEC_ASSIGN_OR_RETURN(JsonFields spec, f.RequiredObject("spec"));
  EDGESEC_ASSIGN_OR_RETURN(d.device_id, spec.RequiredString("deviceId"));
  EDGESEC_ASSIGN_OR_RETURN(JsonFields auth, spec.RequiredObject("auth"));
  EDGESEC_ASSIGN_OR_RETURN(d.key_handle, auth.RequiredString("keyHandle"));
  EDGESEC_ASSIGN_OR_RETURN(d.cert_id, auth.RequiredString("certId"));
  return d;
}

Json DeviceIdentity::ToJson() const {
  return Json{{"type", "aziot"},
              {"spec",
               {{"deviceId", device_id},
                {"auth", {{"type", "x509"}, {"keyHandle", key_handle}, {"certId", cert_id}}}}}};
}

Expected<LocalIdentity> LocalIdentity::FromJson(const Json& j) {
  JsonFields f(j);
  LocalIdentity l;
  EDGESEC_ASSIGN_OR_RETURN(JsonFields spec, f.RequiredObject("spec"));
  EDGESEC_ASSIGN_OR_RETURN(l.module_id, spec.RequiredString("moduleId"));
  EDGESEC_ASSIGN_OR_RETURN(JsonFields auth, spec.RequiredObject("auth"));
  EDGESEC_ASSIGN_OR_RETURN(l.auth.private_key_pem, auth.RequiredString("privateKey"));
  EDGESEC_ASSIGN_OR_RETURN(l.auth.certificate, auth.RequiredString("certificate"));
  EDGESEC_ASSIGN_OR_RETURN(l.auth.expiration, auth.RequiredString("expiration"));
  return l;
}

Json LocalIdentity::ToJson() const {
  return Json{{"type", "local"},
              {"spec", {{"moduleId", module_id}, {"auth", auth.ToLocalAuthJson()}}}};
}

Expected<ListModulesResponse> ListModulesResponse::FromJson(const Json& j) {
  auto it = j.find("identities");
  if (it == j.end() || !it->is_array()) return InvalidParameter("missing parameter 'identities'");
  ListModulesResponse r;
  for (const Json& e : *it) {
    JsonFields f(e);
    ModuleSummary m;
    EDGESEC_ASSIGN_OR_RETURN(JsonFields spec, f.RequiredObject("spec"));
    EDGESEC_ASSIGN_OR_RETURN(m.module_id, spec.RequiredString("moduleId"));
    EDGESEC_ASSIGN_OR_RETURN(JsonFields opts, spec.RequiredObject("localIdOpts"));
    EDGESEC_ASSIGN_OR_RETURN(m.attributes, opts.RequiredString("attributes"));
    r.identities.push_back(std::move(m));
  }
  return r;
}

Json ListModulesResponse::ToJson() const {
  Json list = Json::array();
  for (const auto& m : identities)
    list.push_back(Json{{"type", "local"},
                        {"spec",
                         {{"moduleId", m.module_id},
                          {"localIdOpts", {{"type", "x509"}, {"attributes", m.attributes}}}}}});
  return Json{{"identities", list}};
}

Json EdgeCaStatus::ToJson() const {
  Json j{{"certId", cert_id}, {"sha256", sha256}, {"pem", pem}, {"trusted", trusted}};
  if (details) j["details"] = *details;
  if (renewal) j["renewal"] = *renewal;
  return j;
}

}  // namespace edgesec::identityd::api

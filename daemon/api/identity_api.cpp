#include "daemon/api/identity_api.hpp"

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

}  // namespace edgesec::identityd::api

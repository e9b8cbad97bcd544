#include "certd/server/config.hpp"

#include <algorithm>

#include "common/ids.hpp"
#include "config/principal.hpp"

namespace edgesec::certd {
namespace {

Status ReadProfile(config::Reader& t, const std::string& name, x509::Profile* p) {
  p->name = name;
  EDGESEC_ASSIGN_OR_RETURN(auto days, t.Integer("validity_days"));
  if (days) {
    if (*days < 1 || *days > 36500)
      return t.ErrorAt("validity_days", "must be between 1 and 36500");
    p->validity_days = static_cast<int>(*days);
  }
  EDGESEC_ASSIGN_OR_RETURN(auto ku, t.StringArray("key_usage"));
  if (ku) p->key_usage = *ku;
  EDGESEC_ASSIGN_OR_RETURN(auto eku, t.StringArray("extended_key_usage"));
  if (eku) p->extended_key_usage = *eku;
  EDGESEC_ASSIGN_OR_RETURN(auto san, t.String("san"));
  if (san) {
    if (*san == "copy")
      p->san_policy = x509::SanPolicy::kCopyFromCsr;
    else if (*san == "none")
      p->san_policy = x509::SanPolicy::kNone;
    else
      return t.ErrorAt("san", "must be \"copy\" (the CSR's SANs) or \"none\"");
  }
  EDGESEC_ASSIGN_OR_RETURN(auto ca, t.Boolean("ca"));
  if (ca) p->ca = *ca;
  EDGESEC_ASSIGN_OR_RETURN(auto pathlen, t.Integer("pathlen"));
  if (pathlen) p->pathlen = static_cast<int>(*pathlen);
  if (Status st = x509::ValidateProfile(*p); !st)
    return t.ErrorAt(st.error().message.find("extended") != std::string::npos ? "extended_key_usage"
                     : st.error().message.find("pathlen") != std::string::npos ? "pathlen"
                                                                               : "key_usage",
                     st.error().message);
  return t.Finish();
}

Status ReadCredential(config::Reader& t, CertdConfig* c) {
  Credential cred;
  EDGESEC_ASSIGN_OR_RETURN(auto cert_id, t.String("cert_id"));
  if (!cert_id) return t.ErrorAt("cert_id", "a credential needs 'cert_id'");
  if (!IsValidId(*cert_id))
    return t.ErrorAt("cert_id", ValidateId(*cert_id, "cert id").error().message);
  cred.cert_id = *cert_id;
  EDGESEC_ASSIGN_OR_RETURN(auto key_id, t.String("key_id"));
  cred.key_id = key_id.value_or(*cert_id);
  if (!IsValidId(cred.key_id))
    return t.ErrorAt("key_id", ValidateId(cred.key_id, "key id").error().message);
  EDGESEC_ASSIGN_OR_RETURN(auto method, t.String("method"));
  if (method) {
    static const char* kMethods[] = {"self_signed", "local_ca", "est", "preloaded"};
    if (std::find(std::begin(kMethods), std::end(kMethods), *method) == std::end(kMethods))
      return t.ErrorAt("method", "must be \"self_signed\", \"local_ca\", \"est\" or \"preloaded\"");
    cred.method = *method;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto profile, t.String("profile"));
  cred.profile = profile.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(auto issuer_cert, t.String("issuer_cert"));
  cred.issuer_cert = issuer_cert.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(auto issuer_key, t.String("issuer_key"));
  cred.issuer_key = issuer_key.value_or("");
  EDGESEC_TRY(ReadEstCredential(t, cred.method == "est", &cred.est));
  EDGESEC_TRY(t.Finish());
  c->credentials[cred.cert_id] = std::move(cred);
  return {};
}

}  // namespace

CertdConfig DefaultCertdConfig() {
  CertdConfig c;
  c.profiles["default"] = x509::DefaultLeafProfile();
  c.profiles["ca"] = x509::DefaultCaProfile();
  return c;
}

Status ApplyCertdConfigFile(const config::ParsedFile& file, CertdConfig* c) {
  config::Reader r(*file.table, file.path);
  EDGESEC_ASSIGN_OR_RETURN(auto mode, r.String("socket_mode"));
  if (mode) {
    char* end = nullptr;
    unsigned long m = std::strtoul(mode->c_str(), &end, 8);
    if (mode->empty() || *end != '\0' || m > 0777)
      return r.ErrorAt("socket_mode", "must be an octal mode such as \"0660\"");
    c->socket_mode = static_cast<mode_t>(m);
  }
  EDGESEC_ASSIGN_OR_RETURN(auto keyd_socket, r.String("keyd_socket"));
  if (keyd_socket) c->keyd_socket = *keyd_socket;
  EDGESEC_ASSIGN_OR_RETURN(auto preloaded, r.Table("preloaded_certs"));
  if (preloaded) {
    for (const std::string& id : preloaded->Keys()) {
      if (!IsValidId(id)) return preloaded->ErrorAt(id, ValidateId(id, "cert id").error().message);
      EDGESEC_ASSIGN_OR_RETURN(auto uri, preloaded->String(id));
      if (!uri || uri->rfind("file:///", 0) != 0)
        return preloaded->ErrorAt(id, "unsupported cert URI; use file:///absolute/path");
      c->preloaded_certs[id] = uri->substr(7);
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(auto local_ca, r.Table("local_ca"));
  if (local_ca) {
    EDGESEC_ASSIGN_OR_RETURN(auto cert, local_ca->String("cert"));
    EDGESEC_ASSIGN_OR_RETURN(auto key, local_ca->String("key"));
    if (cert) c->local_ca_cert = *cert;
    if (key) c->local_ca_key = *key;
    EDGESEC_TRY(local_ca->Finish());
  }
  EDGESEC_ASSIGN_OR_RETURN(auto est, r.Table("est"));
  if (est) EDGESEC_TRY(ReadEstSection(*est, &c->est));
  EDGESEC_ASSIGN_OR_RETURN(auto profiles, r.Table("profiles"));
  if (profiles) {
    for (const std::string& name : profiles->Keys()) {
      EDGESEC_ASSIGN_OR_RETURN(auto t, profiles->Table(name));
      x509::Profile p = c->profiles.count(name) ? c->profiles[name] : x509::DefaultLeafProfile();
      EDGESEC_TRY(ReadProfile(*t, name, &p));
      c->profiles[name] = std::move(p);
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(auto credentials, r.TableArray("credential"));
  for (auto& t : credentials) EDGESEC_TRY(ReadCredential(t, c));
  EDGESEC_ASSIGN_OR_RETURN(auto principals, config::ReadPrincipals(r, "certs", "cert"));
  if (principals) {
    c->principals.clear();
    for (auto& e : *principals) {
      Principal p;
      p.uid = e.uid;
      p.cert_globs = std::move(e.globs);
      c->principals.push_back(std::move(p));
    }
  }
  return r.Finish();
}

Expected<CertdConfig> LoadCertdConfig(const Layout& layout) {
  CertdConfig c = DefaultCertdConfig();
  EDGESEC_ASSIGN_OR_RETURN(auto files, config::LoadServiceFiles(layout, "certd"));
  for (const auto& f : files) EDGESEC_TRY(ApplyCertdConfigFile(f, &c));
  for (const auto& [id, cred] : c.credentials)
    if (!cred.profile.empty() && c.profiles.count(cred.profile) == 0)
      return MakeError(ErrorKind::kConfig, "certd config: credential '" + id + "' names profile '" +
                                               cred.profile +
                                               "', which is not defined under [profiles]");
  EDGESEC_TRY(CheckEstCredentials(c));
  return c;
}

}  // namespace edgesec::certd

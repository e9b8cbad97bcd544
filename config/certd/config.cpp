#include "config/certd/config.hpp"

#include <unistd.h>

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
  std::string field;
  if (Status st = x509::ValidateProfile(*p, &field); !st)
    return t.ErrorAt(field, st.error().message);
  return t.Finish();
}

Expected<std::optional<renewal::Span>> ReadSpan(config::Reader& t, const char* key,
                                                bool allow_percent, bool allow_seconds = false) {
  EDGESEC_ASSIGN_OR_RETURN(auto text, t.String(key));
  if (!text) return std::optional<renewal::Span>();
  auto span = renewal::ParseSpan(*text, allow_percent, allow_seconds);
  if (!span) return t.ErrorAt(key, span.error().message);
  return std::optional<renewal::Span>(*span);
}

Status ReadSubject(config::Reader& t, Credential* cred) {
  EDGESEC_ASSIGN_OR_RETURN(auto cn, t.String("common_name"));
  EDGESEC_ASSIGN_OR_RETURN(auto subject, t.Table("subject"));
  if (subject) {
    for (const std::string& k : subject->Keys()) {
      EDGESEC_ASSIGN_OR_RETURN(auto v, subject->String(k));
      if (k == "CN" && cn)
        return subject->ErrorAt(k, "give the common name once: 'common_name' or subject.CN");
      cred->subject.emplace_back(k, *v);
    }
  }
  if (cn) cred->subject.insert(cred->subject.begin(), {"CN", *cn});
  EDGESEC_ASSIGN_OR_RETURN(auto sans, t.StringArray("sans"));
  if (sans) cred->sans = *sans;
  EDGESEC_ASSIGN_OR_RETURN(auto algorithm, t.String("algorithm"));
  if (algorithm) {
    static const char* kAlgorithms[] = {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
    if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), *algorithm) ==
        std::end(kAlgorithms))
      return t.ErrorAt("algorithm",
                       "must be \"ec-p256\", \"ec-p384\", \"rsa-2048\", \"rsa-3072\" or "
                       "\"rsa-4096\" (certd signs with the key through keyd)");
    cred->algorithm = *algorithm;
  }
  return {};
}

Status ReadPolicy(config::Reader& t, renewal::Policy* p) {
  EDGESEC_ASSIGN_OR_RETURN(auto threshold, ReadSpan(t, "threshold", true));
  if (threshold) p->threshold = *threshold;
  EDGESEC_ASSIGN_OR_RETURN(auto retry, ReadSpan(t, "retry", true));
  if (retry) p->retry = *retry;
  EDGESEC_ASSIGN_OR_RETURN(auto rotate, t.Boolean("rotate_key"));
  if (rotate) p->rotate_key = *rotate;
  EDGESEC_ASSIGN_OR_RETURN(auto auto_renew, t.Boolean("auto_renew"));
  if (auto_renew) p->auto_renew = *auto_renew;
  EDGESEC_ASSIGN_OR_RETURN(auto warnings, t.StringArray("expiry_warnings"));
  if (warnings) {
    p->expiry_warnings.clear();
    for (const std::string& w : *warnings) {
      auto span = renewal::ParseSpan(w, false);
      if (!span) return t.ErrorAt("expiry_warnings", span.error().message);
      p->expiry_warnings.push_back(*span);
    }
  }
  return {};
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
    auto parsed = ParseIssuanceMethod(*method);
    if (!parsed)
      return t.ErrorAt("method", "must be \"self_signed\", \"local_ca\", \"est\" or \"preloaded\"");
    cred.method = *parsed;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto profile, t.String("profile"));
  cred.profile = profile.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(auto issuer_cert, t.String("issuer_cert"));
  cred.issuer_cert = issuer_cert.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(auto issuer_key, t.String("issuer_key"));
  cred.issuer_key = issuer_key.value_or("");
  EDGESEC_TRY(ReadSubject(t, &cred));
  EDGESEC_TRY(ReadPolicy(t, &cred.policy));
  if (cred.method == IssuanceMethod::kPreloaded)
    cred.policy.auto_renew = false;  // nothing to renew it with
  EDGESEC_TRY(ReadEstCredential(t, cred.method == IssuanceMethod::kEst, &cred.est));
  EDGESEC_TRY(t.Finish());
  c->credentials[cred.cert_id] = std::move(cred);
  return {};
}

}  // namespace

CertdConfig DefaultCertdConfig() {
  CertdConfig c;
  c.profiles["default"] = x509::DefaultLeafProfile();
  c.profiles["ca"] = x509::DefaultCaProfile();
  for (x509::Profile p :
       {x509::EdgeCaProfile(), x509::ModuleServerProfile(), x509::ModuleClientProfile()})
    c.profiles[p.name] = p;
  return c;
}

Credential QuickstartEdgeCa(const std::string& hostname) {
  std::string host = hostname;
  if (host.empty()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0) host = buf;
    if (host.empty()) host = "localhost";
  }
  Credential cred;
  cred.cert_id = kEdgeCaId;
  cred.key_id = kEdgeCaId;
  cred.method = IssuanceMethod::kSelfSigned;
  cred.profile = "edge-ca";
  cred.subject = {{"CN", ("edgesec Edge CA " + host).substr(0, 64)}};
  return cred;
}

Status ApplyCertdConfigFile(const config::ParsedFile& file, CertdConfig* c) {
  config::Reader r(*file.table, file.path);
  EDGESEC_ASSIGN_OR_RETURN(auto mode, r.FileMode("socket_mode"));
  if (mode) c->socket_mode = *mode;
  EDGESEC_ASSIGN_OR_RETURN(auto keyd_socket, r.String("keyd_socket"));
  if (keyd_socket) c->keyd_socket = *keyd_socket;
  EDGESEC_ASSIGN_OR_RETURN(auto hostname, r.String("hostname"));
  if (hostname) c->hostname = *hostname;
  EDGESEC_ASSIGN_OR_RETURN(auto edge_ca, r.Table("edge_ca"));
  if (edge_ca) {
    EDGESEC_ASSIGN_OR_RETURN(auto quickstart, edge_ca->Boolean("quickstart"));
    if (quickstart) c->edge_ca_quickstart = *quickstart;
    EDGESEC_TRY(edge_ca->Finish());
  }
  EDGESEC_ASSIGN_OR_RETURN(auto renewal, r.Table("renewal"));
  if (renewal) {
    EDGESEC_ASSIGN_OR_RETURN(auto tick, ReadSpan(*renewal, "tick", false, true));
    if (tick) c->renewal_tick = tick->value;
    EDGESEC_ASSIGN_OR_RETURN(auto floor, ReadSpan(*renewal, "retry_floor", false, true));
    if (floor) c->retry_floor = floor->value;
    EDGESEC_TRY(renewal->Finish());
  }
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
  if (c.edge_ca_quickstart && c.credentials.count(kEdgeCaId) == 0)
    c.credentials[kEdgeCaId] = QuickstartEdgeCa(c.hostname);
  return c;
}

}  // namespace edgesec::certd

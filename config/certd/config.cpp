#include "config/certd/config.hpp"

#include <unistd.h>

#include <algorithm>

#include "common/ids.hpp"
#include "config/field_table.hpp"
#include "config/principal.hpp"

namespace edgesec::certd {
namespace {

using config::FieldTable;
using config::Reader;
using config::TomlWriter;

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

constexpr const char* kPrincipalGlobs = "certs";  // [[principal]] certs = [globs]

// preloaded_certs.<id> = "file:///path": held as the path.
Status ReadPreloaded(Reader& r, const char* key, CertdConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto preloaded, r.Table(key));
  if (!preloaded) return {};
  for (const std::string& id : preloaded->Keys()) {
    if (!IsValidId(id)) return preloaded->ErrorAt(id, ValidateId(id, "cert id").error().message);
    EDGESEC_ASSIGN_OR_RETURN(auto uri, preloaded->String(id));
    if (!uri || uri->rfind("file:///", 0) != 0)
      return preloaded->ErrorAt(id, "unsupported cert URI; use file:///absolute/path");
    c->preloaded_certs[id] = uri->substr(7);
  }
  return {};
}

void WritePreloaded(TomlWriter& w, const char* key, const CertdConfig& c) {
  if (c.preloaded_certs.empty()) return;
  w.Table(key);
  for (const auto& [id, path] : c.preloaded_certs) w.String(id, "file://" + path);
}

const FieldTable<CertdConfig>& EdgeCaFields() {
  static const FieldTable<CertdConfig> t = {
      {"quickstart",
       [](Reader& r, const char* k, CertdConfig* c) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto quickstart, r.Boolean(k));
         if (quickstart) c->edge_ca_quickstart = *quickstart;
         return {};
       },
       [](TomlWriter& w, const char* k, const CertdConfig& c) {
         if (!c.edge_ca_quickstart) w.Boolean(k, false);  // true is the default
       }},
  };
  return t;
}

template <int64_t CertdConfig::*member>
config::Field<CertdConfig> SecondsField(const char* key) {
  return {key,
          [](Reader& r, const char* k, CertdConfig* c) -> Status {
            EDGESEC_ASSIGN_OR_RETURN(auto span, ReadSpan(r, k, false, true));
            if (span) c->*member = span->value;
            return {};
          },
          [](TomlWriter& w, const char* k, const CertdConfig& c) {
            if (c.*member > 0) w.String(k, std::to_string(c.*member) + "s");
          }};
}

const FieldTable<CertdConfig>& RenewalFields() {
  static const FieldTable<CertdConfig> t = {
      SecondsField<&CertdConfig::renewal_tick>("tick"),
      SecondsField<&CertdConfig::retry_floor>("retry_floor"),
  };
  return t;
}

template <std::string CertdConfig::*member>
config::Field<CertdConfig> StringField(const char* key) {
  return {key,
          [](Reader& r, const char* k, CertdConfig* c) {
            return config::ReadString(r, k, &(c->*member));
          },
          [](TomlWriter& w, const char* k, const CertdConfig& c) {
            config::WriteString(w, k, c.*member);
          }};
}

const FieldTable<CertdConfig>& LocalCaFields() {
  static const FieldTable<CertdConfig> t = {
      StringField<&CertdConfig::local_ca_cert>("cert"),
      StringField<&CertdConfig::local_ca_key>("key"),
  };
  return t;
}

template <const FieldTable<CertdConfig>& (*fields)()>
config::Field<CertdConfig> SectionField(const char* key) {
  return {key,
          [](Reader& r, const char* k, CertdConfig* c) {
            return config::ReadSection(r, k, fields(), c);
          },
          [](TomlWriter& w, const char* k, const CertdConfig& c) {
            config::WriteSection(w, k, fields(), c);
          }};
}

// The keys config apply writes from the typed config, in file order.
const FieldTable<CertdConfig>& HeadFields() {
  static const FieldTable<CertdConfig> t = {
      {"socket_mode",
       [](Reader& r, const char* k, CertdConfig* c) {
         return config::ReadMode(r, k, &c->socket_mode);
       },
       [](TomlWriter& w, const char* k, const CertdConfig& c) {
         config::WriteMode(w, k, c.socket_mode);
       }},
      StringField<&CertdConfig::keyd_socket>("keyd_socket"),
      StringField<&CertdConfig::hostname>("hostname"),
      SectionField<EdgeCaFields>("edge_ca"),
      SectionField<RenewalFields>("renewal"),
      {"preloaded_certs", ReadPreloaded, WritePreloaded},
      SectionField<LocalCaFields>("local_ca"),
      {"est",
       [](Reader& r, const char* k, CertdConfig* c) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto est, r.Table(k));
         if (est) EDGESEC_TRY(ReadEstSection(*est, &c->est));
         return {};
       },
       [](TomlWriter& w, const char* k, const CertdConfig& c) { WriteEstSection(w, k, c.est); }},
  };
  return t;
}

// [profiles] and [[credential]] are read here; config apply still writes them itself.
Status ReadProfiles(Reader& r, const char* key, CertdConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto profiles, r.Table(key));
  if (!profiles) return {};
  for (const std::string& name : profiles->Keys()) {
    EDGESEC_ASSIGN_OR_RETURN(auto t, profiles->Table(name));
    x509::Profile p = c->profiles.count(name) ? c->profiles[name] : x509::DefaultLeafProfile();
    EDGESEC_TRY(ReadProfile(*t, name, &p));
    c->profiles[name] = std::move(p);
  }
  return {};
}

Status ReadCredentials(Reader& r, const char* key, CertdConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto credentials, r.TableArray(key));
  for (auto& t : credentials) EDGESEC_TRY(ReadCredential(t, c));
  return {};
}

Status ReadPrincipals(Reader& r, const char*, CertdConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto principals, config::ReadPrincipals(r, kPrincipalGlobs, "cert"));
  if (!principals) return {};
  c->principals.clear();
  for (auto& e : *principals) {
    Principal p;
    p.uid = e.uid;
    p.cert_globs = std::move(e.globs);
    c->principals.push_back(std::move(p));
  }
  return {};
}

const FieldTable<CertdConfig>& PrincipalField() {
  static const FieldTable<CertdConfig> t = {
      {config::kPrincipalTables, ReadPrincipals,
       [](TomlWriter& w, const char*, const CertdConfig& c) {
         for (const auto& p : c.principals)
           config::WritePrincipal(w, p.uid, p.name, kPrincipalGlobs, p.cert_globs);
       }},
  };
  return t;
}

const FieldTable<CertdConfig>& CertdFields() {
  static const FieldTable<CertdConfig> t = [] {
    FieldTable<CertdConfig> all = HeadFields();
    all.push_back({"profiles", ReadProfiles, [](TomlWriter&, const char*, const CertdConfig&) {}});
    all.push_back(
        {"credential", ReadCredentials, [](TomlWriter&, const char*, const CertdConfig&) {}});
    all.push_back(PrincipalField()[0]);
    return all;
  }();
  return t;
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
  Reader r(*file.table, file.path);
  EDGESEC_TRY(config::ReadFields(r, CertdFields(), c));
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

CertdConfig BlankCertdConfig() {
  CertdConfig c;
  c.socket_mode = 0;
  c.renewal_tick = 0;
  c.retry_floor = 0;
  c.est.max_wait_seconds = 0;
  return c;
}

std::string WriteCertdConfig(const CertdConfig& c, const std::string& header,
                             const std::string& profiles_and_credentials,
                             const std::string& principals_comment) {
  TomlWriter w(header);
  config::WriteFields(w, HeadFields(), c);
  w.Text(profiles_and_credentials);
  config::WriteFields(w, PrincipalField(), c, {{config::kPrincipalTables, principals_comment}});
  return w.text();
}

}  // namespace edgesec::certd

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

const FieldTable<CertdConfig>& RevocationFields() {
  static const FieldTable<CertdConfig> t = {
      {"check",
       [](Reader& r, const char* k, CertdConfig* c) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto check, r.Boolean(k));
         if (check) c->revocation_check = *check;
         return {};
       },
       [](TomlWriter& w, const char* k, const CertdConfig& c) {
         if (!c.revocation_check) w.Boolean(k, false);  // true is the default
       }},
      SecondsField<&CertdConfig::revocation_refresh>("refresh"),
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
      {"max_requests",
       [](Reader& r, const char* k, CertdConfig* c) {
         return config::ReadMaxRequests(r, k, &c->max_requests);
       },
       [](TomlWriter& w, const char* k, const CertdConfig& c) {
         config::WriteMaxRequests(w, k, c.max_requests);
       }},
      StringField<&CertdConfig::keyd_socket>("keyd_socket"),
      StringField<&CertdConfig::hostname>("hostname"),
      SectionField<EdgeCaFields>("edge_ca"),
      SectionField<RenewalFields>("renewal"),
      SectionField<RevocationFields>("revocation"),
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

constexpr const char* kProfiles = "profiles";

constexpr const char* kCredentials = "credential";

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
    // [profiles.*] are written from ProfileFiles (WriteCertdConfig).
    all.push_back({kProfiles,
                   [](Reader& r, const char* k, CertdConfig* c) {
                     return ReadProfileTables(r, k, &c->profiles);
                   },
                   [](TomlWriter&, const char*, const CertdConfig&) {}});
    // [[credential]] tables are written from CredentialFiles (WriteCertdConfig).
    all.push_back(
        {kCredentials, ReadCredentialTables, [](TomlWriter&, const char*, const CertdConfig&) {}});
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
  c.max_requests = 0;
  c.renewal_tick = 0;
  c.retry_floor = 0;
  c.revocation_refresh = 0;
  c.est.max_wait_seconds = 0;
  return c;
}

std::string WriteCertdConfig(const CertdConfig& c, const std::string& header,
                             const ProfileFiles& profiles,
                             const std::vector<CredentialFile>& credentials,
                             const std::string& principals_comment) {
  TomlWriter w(header);
  config::WriteFields(w, HeadFields(), c);
  WriteProfileTables(w, kProfiles, profiles);
  WriteCredentialTables(w, kCredentials, credentials);
  config::WriteFields(w, PrincipalField(), c, {{config::kPrincipalTables, principals_comment}});
  return w.text();
}

}  // namespace edgesec::certd

#include "config/certd/est_config.hpp"

#include <cctype>

#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/url.hpp"
#include "config/certd/config.hpp"
#include "config/field_table.hpp"

namespace edgesec::certd {
namespace {

using config::FieldTable;
using config::Reader;
using config::TomlWriter;

bool IsFileUri(const std::string& s) {
  return s.rfind("file:///", 0) == 0;
}

// "1800", 1800, "30m", "2h", "1d", "90s" → seconds.
Expected<std::optional<int64_t>> ReadDuration(Reader& t, const char* key) {
  if (auto n = t.Integer(key); n) {
    if (*n && **n <= 0) return t.ErrorAt(key, "must be a positive number of seconds");
    return *n;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto text, t.String(key));
  if (!text) return std::optional<int64_t>();
  size_t digits = 0;
  while (digits < text->size() && std::isdigit(static_cast<unsigned char>((*text)[digits])))
    ++digits;
  std::string unit = text->substr(digits);
  int64_t mult = unit.empty() || unit == "s"    ? 1
                 : unit == "m" || unit == "min" ? 60
                 : unit == "h"                  ? 3600
                 : unit == "d" || unit == "day" ? 86400
                                                : 0;
  if (digits == 0 || digits > 9 || mult == 0 || std::stoll(text->substr(0, digits)) == 0)
    return t.ErrorAt(key,
                     "must be a duration such as \"90s\", \"30m\", \"2h\" or \"1d\", or seconds");
  return std::optional<int64_t>(std::stoll(text->substr(0, digits)) * mult);
}

Status ReadUrl(Reader& t, const char* key, std::string* url) {
  EDGESEC_ASSIGN_OR_RETURN(auto u, t.String(key));
  if (!u) return {};
  if (u->rfind("http://", 0) == 0) {
    // Allowed (DESIGN.md: a warning, not an error), for lab servers: nothing authenticates the
    // server, and Basic credentials and client identities travel without TLS.
    log::Warning("certd: " + t.ErrorAt(key,
                                       "is plain http://: the EST server is not "
                                       "authenticated and nothing is encrypted; use https://")
                                 .message);
  } else if (u->rfind("https://", 0) != 0) {
    return t.ErrorAt(key, "must be an https:// (or, without TLS, http://) URL of the EST server");
  }
  if (SplitUserinfo(*u).password)  // accepted (IoT Edge does), never printed
    log::Warning("certd: " + t.ErrorAt(key, "'" + RedactUrl(*u) +
                                                "' holds a password: used for HTTP Basic, but "
                                                "set username and password_file instead")
                                 .message);
  *url = *u;
  return {};
}

constexpr const char* kPassword = "password";
constexpr const char* kPasswordFile = "password_file";
constexpr const char* kUsername = "username";

// url, username, password and password_file: the same keys in [est] and an est [[credential]].
template <class S>
FieldTable<S> UrlFields() {
  return {{"url", [](Reader& t, const char* k, S* s) { return ReadUrl(t, k, &s->url); },
           [](TomlWriter& w, const char* k, const S& s) { config::WriteString(w, k, s.url); }}};
}

template <class S>
FieldTable<S> PasswordFields() {
  return {
      {kUsername,
       [](Reader& t, const char* k, S* s) { return config::ReadString(t, k, &s->username); },
       [](TomlWriter& w, const char* k, const S& s) { config::WriteString(w, k, s.username); }},
      {kPassword,
       [](Reader& t, const char* k, S* s) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto pass, t.String(k));
         if (pass) s->password = std::make_shared<const Secret>(Secret::FromString(*pass));
         return {};
       },
       [](TomlWriter& w, const char* k, const S& s) {
         if (s.password) w.String(k, std::string(s.password->view()));
       }},
      {kPasswordFile,
       [](Reader& t, const char* k, S* s) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto pass, t.String(kPassword));
         EDGESEC_ASSIGN_OR_RETURN(auto file, t.String(k));
         if (pass && file)
           return t.ErrorAt(
               k, std::string("give either '") + kPassword + "' or '" + k + "', not both");
         if (file) s->password_file = *file;
         return {};
       },
       [](TomlWriter& w, const char* k, const S& s) {
         config::WriteString(w, k, s.password_file);
       }},
  };
}

// After the fields: a password needs a user name (from this file or an earlier one).
template <class S>
Status CheckPassword(Reader& t, const S& s) {
  if ((s.password || !s.password_file.empty()) && s.username.empty())
    return t.ErrorAt(s.password ? kPassword : kPasswordFile,
                     std::string("a password needs '") + kUsername + "' (HTTP Basic)");
  return {};
}

Status ReadCertRef(Reader& t, const char* key, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, t.String(key));
  if (!v) return {};
  if (!IsFileUri(*v) && !IsValidId(*v))
    return t.ErrorAt(
        key, "must be a cert id of certd's store or a file:///absolute/path of a PEM certificate");
  *out = *v;
  return {};
}

Status ReadKeyId(Reader& t, const char* key, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, t.String(key));
  if (!v) return {};
  if (!IsValidId(*v))
    return t.ErrorAt(
        key,
        "must be a keyd key id (certd signs only through keyd; to use a key file, name it in "
        "keyd's [preloaded_keys] and give that id here)");
  *out = *v;
  return {};
}

Status ReadTrustedCerts(Reader& t, const char* key, EstSettings* est) {
  EDGESEC_ASSIGN_OR_RETURN(auto trusted, t.StringArray(key));
  if (!trusted) return {};
  for (auto& f : *trusted) {
    std::string path = IsFileUri(f) ? f.substr(7) : f;
    if (path.empty() || path[0] != '/')
      return t.ErrorAt(key, "'" + f + "' is not an absolute path of a PEM file");
    est->trusted_certs.push_back(path);
  }
  return {};
}

// 7200 → "2h": the largest unit that divides it.
std::string DurationText(int64_t seconds) {
  if (seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

template <std::string EstSettings::*member>
config::Field<EstSettings> CertRefField(const char* key) {
  return {key,
          [](Reader& t, const char* k, EstSettings* e) { return ReadCertRef(t, k, &(e->*member)); },
          [](TomlWriter& w, const char* k, const EstSettings& e) {
            config::WriteString(w, k, e.*member);
          }};
}

template <std::string EstSettings::*member>
config::Field<EstSettings> KeyIdField(const char* key) {
  return {key,
          [](Reader& t, const char* k, EstSettings* e) { return ReadKeyId(t, k, &(e->*member)); },
          [](TomlWriter& w, const char* k, const EstSettings& e) {
            config::WriteString(w, k, e.*member);
          }};
}

// Named again by the checks across keys (CheckEstSection).
constexpr const char* kBootstrapCert = "bootstrap_identity_cert";
constexpr const char* kBootstrapKey = "bootstrap_identity_key";
constexpr const char* kIdentityCert = "identity_cert";
constexpr const char* kIdentityKey = "identity_key";

FieldTable<EstSettings> MakeEstFields() {
  FieldTable<EstSettings> t = UrlFields<EstSettings>();
  t.push_back(
      {"label",
       [](Reader& r, const char* k, EstSettings* e) { return config::ReadString(r, k, &e->label); },
       [](TomlWriter& w, const char* k, const EstSettings& e) {
         config::WriteString(w, k, e.label);
       }});
  t.push_back(
      {"trusted_certs", ReadTrustedCerts, [](TomlWriter& w, const char* k, const EstSettings& e) {
         config::WriteStrings(w, k, e.trusted_certs);
       }});
  for (auto& f : PasswordFields<EstSettings>()) t.push_back(f);
  t.push_back(CertRefField<&EstSettings::bootstrap_identity_cert>(kBootstrapCert));
  t.push_back(KeyIdField<&EstSettings::bootstrap_identity_key>(kBootstrapKey));
  t.push_back(CertRefField<&EstSettings::identity_cert>(kIdentityCert));
  t.push_back(KeyIdField<&EstSettings::identity_key>(kIdentityKey));
  t.push_back({"identity_common_name",
               [](Reader& r, const char* k, EstSettings* e) {
                 return config::ReadString(r, k, &e->identity_common_name);
               },
               [](TomlWriter& w, const char* k, const EstSettings& e) {
                 config::WriteString(w, k, e.identity_common_name);
               }});
  t.push_back({"max_wait",
               [](Reader& r, const char* k, EstSettings* e) -> Status {
                 EDGESEC_ASSIGN_OR_RETURN(auto wait, ReadDuration(r, k));
                 if (wait) e->max_wait_seconds = *wait;
                 return {};
               },
               [](TomlWriter& w, const char* k, const EstSettings& e) {
                 if (e.max_wait_seconds > 0) w.String(k, DurationText(e.max_wait_seconds));
               }});
  return t;
}

const FieldTable<EstSettings>& EstFields() {
  static const FieldTable<EstSettings> t = MakeEstFields();
  return t;
}

// The checks across [est]'s keys, after all of them are read.
Status CheckEstSection(Reader& t, EstSettings* est) {
  EDGESEC_TRY(CheckPassword(t, *est));
  if (est->bootstrap_identity_cert.empty() != est->bootstrap_identity_key.empty())
    return t.ErrorAt(
        est->bootstrap_identity_cert.empty() ? kBootstrapKey : kBootstrapCert,
        std::string("give both '") + kBootstrapCert + "' and '" + kBootstrapKey + "', or neither");
  if (!est->identity_cert.empty() && est->identity_key.empty() && !IsFileUri(est->identity_cert))
    est->identity_key = est->identity_cert;
  if (IsFileUri(est->identity_cert) && est->identity_key.empty())
    return t.ErrorAt(kIdentityCert, std::string("an identity already on the device needs its "
                                                "keyd key id in '") +
                                        kIdentityKey + "'");
  return {};
}

}  // namespace

Status ReadEstSection(Reader& t, EstSettings* est) {
  EDGESEC_TRY(config::ReadFields(t, EstFields(), est));
  EDGESEC_TRY(CheckEstSection(t, est));
  return t.Finish();
}

void WriteEstSection(TomlWriter& w, const char* key, const EstSettings& est) {
  config::WriteSection(w, key, EstFields(), est);
}

const FieldTable<EstCredential>& EstCredentialFields() {
  static const FieldTable<EstCredential> t = [] {
    FieldTable<EstCredential> all = UrlFields<EstCredential>();
    for (auto& f : PasswordFields<EstCredential>()) all.push_back(f);
    all.push_back({"server_keygen",
                   [](Reader& r, const char* k, EstCredential* c) -> Status {
                     EDGESEC_ASSIGN_OR_RETURN(auto keygen, r.Boolean(k));
                     if (keygen) c->server_keygen = *keygen;
                     return {};
                   },
                   [](TomlWriter& w, const char* k, const EstCredential& c) {
                     if (c.server_keygen) w.Boolean(k, true);
                   }});
    return all;
  }();
  return t;
}

Status CheckEstCredential(Reader& t, const char* method_key, EstCredential* cred) {
  EDGESEC_TRY(CheckPassword(t, *cred));
  cred->missing_url = t.ErrorAt(
      method_key, "method \"est\" needs the EST server's URL: set 'url' here or [est] url");
  return {};
}

Status CheckEstCredentials(const CertdConfig& c) {
  for (const auto& [id, cred] : c.credentials) {
    if (cred.method != IssuanceMethod::kEst) continue;
    if (cred.est.url.empty() && c.est.url.empty() && cred.est.missing_url)
      return *cred.est.missing_url;
  }
  return {};
}

}  // namespace edgesec::certd

#include "config/certd/est_config.hpp"

#include <cctype>

#include "common/ids.hpp"
#include "common/log.hpp"
#include "config/certd/config.hpp"

namespace edgesec::certd {
namespace {

bool IsFileUri(const std::string& s) {
  return s.rfind("file:///", 0) == 0;
}

// "1800", 1800, "30m", "2h", "1d", "90s" → seconds.
Expected<std::optional<int64_t>> ReadDuration(config::Reader& t, const char* key) {
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

Status ReadPassword(config::Reader& t, std::string* username,
                    std::shared_ptr<const Secret>* password, std::string* password_file) {
  EDGESEC_ASSIGN_OR_RETURN(auto user, t.String("username"));
  EDGESEC_ASSIGN_OR_RETURN(auto pass, t.String("password"));
  EDGESEC_ASSIGN_OR_RETURN(auto file, t.String("password_file"));
  if (pass && file)
    return t.ErrorAt("password_file", "give either 'password' or 'password_file', not both");
  if ((pass || file) && !user && username->empty())
    return t.ErrorAt(pass ? "password" : "password_file",
                     "a password needs 'username' (HTTP Basic)");
  if (user) *username = *user;
  if (pass) *password = std::make_shared<const Secret>(Secret::FromString(*pass));
  if (file) *password_file = *file;
  return {};
}

Status ReadUrl(config::Reader& t, std::string* url) {
  EDGESEC_ASSIGN_OR_RETURN(auto u, t.String("url"));
  if (!u) return {};
  if (u->rfind("http://", 0) == 0) {
    // Allowed (DESIGN.md: a warning, not an error), for lab servers: nothing authenticates the
    // server, and Basic credentials and client identities travel without TLS.
    log::Warning("certd: " + t.ErrorAt("url",
                                       "is plain http://: the EST server is not "
                                       "authenticated and nothing is encrypted; use https://")
                                 .message);
  } else if (u->rfind("https://", 0) != 0) {
    return t.ErrorAt("url", "must be an https:// (or, without TLS, http://) URL of the EST server");
  }
  *url = *u;
  return {};
}

Status ReadCertRef(config::Reader& t, const char* key, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, t.String(key));
  if (!v) return {};
  if (!IsFileUri(*v) && !IsValidId(*v))
    return t.ErrorAt(
        key, "must be a cert id of certd's store or a file:///absolute/path of a PEM certificate");
  *out = *v;
  return {};
}

Status ReadKeyId(config::Reader& t, const char* key, std::string* out) {
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

}  // namespace

Status ReadEstSection(config::Reader& t, EstSettings* est) {
  EDGESEC_TRY(ReadUrl(t, &est->url));
  EDGESEC_ASSIGN_OR_RETURN(auto label, t.String("label"));
  if (label) est->label = *label;
  EDGESEC_ASSIGN_OR_RETURN(auto trusted, t.StringArray("trusted_certs"));
  if (trusted) {
    for (auto& f : *trusted) {
      std::string path = IsFileUri(f) ? f.substr(7) : f;
      if (path.empty() || path[0] != '/')
        return t.ErrorAt("trusted_certs", "'" + f + "' is not an absolute path of a PEM file");
      est->trusted_certs.push_back(path);
    }
  }
  EDGESEC_TRY(ReadPassword(t, &est->username, &est->password, &est->password_file));
  EDGESEC_TRY(ReadCertRef(t, "bootstrap_identity_cert", &est->bootstrap_identity_cert));
  EDGESEC_TRY(ReadKeyId(t, "bootstrap_identity_key", &est->bootstrap_identity_key));
  if (est->bootstrap_identity_cert.empty() != est->bootstrap_identity_key.empty())
    return t.ErrorAt(
        est->bootstrap_identity_cert.empty() ? "bootstrap_identity_key" : "bootstrap_identity_cert",
        "give both 'bootstrap_identity_cert' and 'bootstrap_identity_key', or neither");
  EDGESEC_TRY(ReadCertRef(t, "identity_cert", &est->identity_cert));
  EDGESEC_TRY(ReadKeyId(t, "identity_key", &est->identity_key));
  if (!est->identity_cert.empty() && est->identity_key.empty() && !IsFileUri(est->identity_cert))
    est->identity_key = est->identity_cert;
  if (IsFileUri(est->identity_cert) && est->identity_key.empty())
    return t.ErrorAt("identity_cert",
                     "an identity already on the device needs its keyd key id in 'identity_key'");
  EDGESEC_ASSIGN_OR_RETURN(auto cn, t.String("identity_common_name"));
  if (cn) est->identity_common_name = *cn;
  EDGESEC_ASSIGN_OR_RETURN(auto wait, ReadDuration(t, "max_wait"));
  if (wait) est->max_wait_seconds = *wait;
  return t.Finish();
}

Status ReadEstCredential(config::Reader& t, bool is_est, EstCredential* cred) {
  if (!is_est) return {};  // t.Finish() then names any EST key as unknown for this method
  EDGESEC_TRY(ReadUrl(t, &cred->url));
  EDGESEC_TRY(ReadPassword(t, &cred->username, &cred->password, &cred->password_file));
  EDGESEC_ASSIGN_OR_RETURN(auto keygen, t.Boolean("server_keygen"));
  if (keygen) cred->server_keygen = *keygen;
  cred->missing_url =
      t.ErrorAt("method", "method \"est\" needs the EST server's URL: set 'url' here or [est] url");
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

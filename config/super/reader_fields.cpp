// The super config reader's field readers: strings, integers, paths, cert and key URIs, renewal
// spans and policies, subjects, EST URLs and passwords — each naming the key and its position.
#include <algorithm>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/url.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/reader_internal.hpp"
#include "config/super/super.hpp"
#include "config/super/values.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super::reader {

std::string Where(const Reader& r, std::string_view key) {
  // "file:line:col: 'dotted.key'" of a key (ErrorAt's text without the message).
  std::string m = r.ErrorAt(key, "").message;
  return m.substr(0, m.size() - 2);
}

void Warn(Ctx& ctx, const Reader& r, std::string_view key, const std::string& message) {
  ctx.warnings->push_back(r.ErrorAt(key, message).message);
}

Status Str(Reader& r, std::string_view key, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.String(key));
  if (v) *out = *v;
  return {};
}

Status Int(Reader& r, std::string_view key, std::optional<int64_t>* out, int64_t lo, int64_t hi) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.Integer(key));
  if (!v) return {};
  if (*v < lo || *v > hi)
    return r.ErrorAt(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  *out = *v;
  return {};
}

Status Path(Ctx& ctx, Reader& r, std::string_view key, const char* service, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.String(key));
  if (!v) return {};
  if (v->empty() || (*v)[0] != '/') return r.ErrorAt(key, "must be an absolute path");
  *out = *v;
  ctx.c->files.push_back({*v, service, Where(r, key)});
  return {};
}

// A certificate: file:///absolute/path (or, where `allow_name`, a cert id of certd's store).
Status CertUri(Ctx& ctx, Reader& r, std::string_view key, bool allow_name, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.String(key));
  if (!v) return {};
  if (IsFileUri(*v)) {
    ctx.c->files.push_back({PathOf(*v), "certd", Where(r, key)});
  } else if (!allow_name || !IsValidId(*v)) {
    return r.ErrorAt(key, "'" + *v + "' must be a file:///absolute/path URI of a PEM certificate" +
                              (allow_name ? " or a certificate name (A-Za-z0-9._-:@$)" : ""));
  }
  *out = *v;
  return {};
}

void NotePinFile(Ctx& ctx, const Reader& r, std::string_view key, const std::string& uri) {
  if (std::string pin = Pkcs11PinFile(uri); !pin.empty())
    ctx.c->files.push_back({pin, "keyd", Where(r, key)});
}

// A private key: file:///absolute/path, an RFC 7512 pkcs11: URI, or (`allow_name`) a key id.
Status KeyUri(Ctx& ctx, Reader& r, std::string_view key, bool allow_name, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.String(key));
  if (!v) return {};
  if (IsFileUri(*v)) {
    ctx.c->files.push_back({PathOf(*v), "keyd", Where(r, key)});
  } else if (v->rfind("pkcs11:", 0) == 0) {
    if (Status st = CheckPkcs11Uri(*v); !st)
      return r.ErrorAt(key, "'" + *v + "' " + st.error().message);
    NotePinFile(ctx, r, key, *v);
    ctx.pkcs11_uses.push_back(Where(r, key));
  } else if (!allow_name || !IsValidId(*v)) {
    return r.ErrorAt(key, "'" + *v + "' must be a file:///absolute/path or pkcs11: URI of a key" +
                              std::string(allow_name ? ", or a key name (A-Za-z0-9._-:@$)" : ""));
  }
  *out = *v;
  return {};
}

Status Span(Reader& r, std::string_view key, bool allow_percent, std::optional<std::string>* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.String(key));
  if (!v) return {};
  if (auto problem = SpanProblem(*v, allow_percent)) return r.ErrorAt(key, *problem);
  *out = *v;
  return {};
}

// [….auto_renew]: the seeds' rotate_key / threshold / retry, and edgesec's `enabled`. An absolute
// threshold or retry must be shorter than the certificate's lifetime, when it is known.
Expected<std::optional<RenewPolicy>> Policy(Reader& parent, std::string_view key,
                                            std::optional<int64_t> lifetime_days) {
  EDGESEC_ASSIGN_OR_RETURN(auto t, parent.Table(key));
  if (!t) return std::optional<RenewPolicy>();
  RenewPolicy p;
  EDGESEC_TRY(Span(*t, "threshold", true, &p.threshold));
  EDGESEC_TRY(Span(*t, "retry", true, &p.retry));
  EDGESEC_ASSIGN_OR_RETURN(p.rotate_key, t->Boolean("rotate_key"));
  EDGESEC_ASSIGN_OR_RETURN(p.enabled, t->Boolean("enabled"));
  for (auto [k, v] : {std::pair{"threshold", &p.threshold}, std::pair{"retry", &p.retry}}) {
    int64_t seconds = 0;
    if (*v && lifetime_days &&
        (SpanProblem(**v, true, &seconds), seconds >= *lifetime_days * 86400))
      return t->ErrorAt(k, "'" + **v + "' is not shorter than the certificate's lifetime (" +
                               std::to_string(*lifetime_days) +
                               " days); use a percentage such as \"80%\" or a shorter span");
  }
  EDGESEC_TRY(t->Finish());
  return std::optional<RenewPolicy>(p);
}

Status Subject(Reader& r, IssuedCert* cert) {
  EDGESEC_ASSIGN_OR_RETURN(auto cn, r.String("common_name"));
  EDGESEC_ASSIGN_OR_RETURN(auto subject, r.Table("subject"));
  if (cn) cert->subject.emplace_back("CN", *cn);
  if (subject) {
    for (const std::string& k : subject->Keys()) {
      EDGESEC_ASSIGN_OR_RETURN(auto v, subject->String(k));
      if (k == "CN" && cn)
        return subject->ErrorAt(k, "give the common name once: 'common_name' or subject.CN");
      cert->subject.emplace_back(k, *v);
    }
  }
  // TOML tables have no order: the DN gets the conventional one, CN last.
  static const char* kOrder[] = {"C", "ST", "L", "O", "OU"};
  auto rank = [](const std::string& k) {
    for (size_t i = 0; i < std::size(kOrder); ++i)
      if (k == kOrder[i]) return i;
    return k == "CN" ? std::size(kOrder) + 1 : std::size(kOrder);
  };
  std::stable_sort(cert->subject.begin(), cert->subject.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  return {};
}

Status EstUrl(Reader& r, std::string_view key, std::string* out, Ctx& ctx) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.String(key));
  if (!v) return {};
  if (v->rfind("http://", 0) == 0)
    Warn(ctx, r, key,
         "an http:// EST URL sends the enrollment in clear text; certd needs https:// (use the "
         "EST server's TLS URL)");
  else if (v->rfind("https://", 0) != 0 || v->size() <= 8)
    return r.ErrorAt(key, "'" + RedactUrl(*v) + "' must be an https:// URL of the EST server");
  if (SplitUserinfo(*v).password)  // accepted as IoT Edge does; never printed
    Warn(ctx, r, key,
         "'" + RedactUrl(*v) +
             "' holds a password: used for HTTP Basic, but set username and password_file "
             "instead");
  *out = *v;
  return {};
}

Status Password(Ctx& ctx, Reader& r, std::string* user, std::optional<std::string>* password,
                std::string* password_file) {
  EDGESEC_TRY(Str(r, "username", user));
  EDGESEC_ASSIGN_OR_RETURN(*password, r.String("password"));
  EDGESEC_TRY(Path(ctx, r, "password_file", "certd", password_file));
  if (*password && !password_file->empty())
    return r.ErrorAt("password_file", "give either 'password' or 'password_file', not both");
  return {};
}

// The EST identities of a certificate's own EST settings; certd holds one of each.
Status IdentityOverrides(Ctx& ctx, Reader& r) {
  for (const char* k : {"bootstrap_identity_cert", "identity_cert"}) {
    std::string v;
    EDGESEC_TRY(CertUri(ctx, r, k, std::string(k) == "identity_cert", &v));
    if (!v.empty()) ctx.identity_overrides.push_back({k, v, Where(r, k)});
  }
  for (const char* k : {"bootstrap_identity_pk", "identity_pk"}) {
    std::string v;
    EDGESEC_TRY(KeyUri(ctx, r, k, std::string(k) == "identity_pk", &v));
    if (!v.empty()) ctx.identity_overrides.push_back({k, v, Where(r, k)});
  }
  return {};
}

// The keys of a certificate edgesec issues: method, subject, expiry_days, algorithm, sans, the
// per-certificate EST settings and auto_renew.
Status Issued(Ctx& ctx, Reader& r, IssuedCert* cert) {
  std::string method;
  EDGESEC_TRY(Str(r, "method", &method));
  cert->position = Where(r, "method");
  auto parsed = certd::ParseIssuanceMethod(method);
  if (!parsed || *parsed == certd::IssuanceMethod::kPreloaded)
    return r.ErrorAt("method", "must be \"est\", \"local_ca\" or \"self_signed\"");
  cert->method = *parsed;
  EDGESEC_TRY(Subject(r, cert));
  EDGESEC_TRY(Int(r, "expiry_days", &cert->expiry_days, 1, 36500));
  if (cert->expiry_days && cert->method == certd::IssuanceMethod::kEst)
    Warn(ctx, r, "expiry_days", "the EST server decides the validity of what it issues; ignored");
  EDGESEC_TRY(Str(r, "algorithm", &cert->algorithm));
  if (!cert->algorithm.empty() && !IsKeyAlgorithm(cert->algorithm))
    return r.ErrorAt(
        "algorithm",
        "must be \"ec-p256\", \"ec-p384\", \"rsa-2048\", \"rsa-3072\" or \"rsa-4096\"");
  EDGESEC_ASSIGN_OR_RETURN(cert->server_keygen, r.Boolean("server_keygen"));
  if (cert->server_keygen && cert->method != certd::IssuanceMethod::kEst)
    return r.ErrorAt("server_keygen",
                     "only for method = \"est\" (the EST server's /serverkeygen); remove it");
  if (cert->server_keygen.value_or(false) && !cert->algorithm.empty())
    return r.ErrorAt("algorithm",
                     "with server_keygen = true the EST server makes the key; remove 'algorithm'");
  EDGESEC_ASSIGN_OR_RETURN(auto sans, r.StringArray("sans"));
  if (sans) cert->sans = *sans;
  std::string own_url;
  EDGESEC_TRY(EstUrl(r, "url", &own_url, ctx));
  if (!own_url.empty()) {  // overrides [cert_issuance.est.urls] <IoT Edge cert id>
    cert->est.url = own_url;
    cert->est.url_position = Where(r, "url");
  }
  EDGESEC_TRY(Password(ctx, r, &cert->est.username, &cert->est.password, &cert->est.password_file));
  size_t before = ctx.identity_overrides.size();
  EDGESEC_TRY(IdentityOverrides(ctx, r));
  if (cert->method != certd::IssuanceMethod::kEst && ctx.identity_overrides.size() > before)
    return MakeError(ErrorKind::kConfig, ctx.identity_overrides[before].position +
                                             ": only for method = \"est\"; remove it");
  if (cert->method != certd::IssuanceMethod::kEst) {
    const char* stray = !cert->est.url.empty()             ? "url"
                        : !cert->est.username.empty()      ? "username"
                        : cert->est.password               ? "password"
                        : !cert->est.password_file.empty() ? "password_file"
                                                           : nullptr;
    if (stray)
      return r.ErrorAt(stray, "only for method = \"est\"; remove it or set method = \"est\"");
  }
  int64_t lifetime =
      cert->method == certd::IssuanceMethod::kEst ? 0 : cert->expiry_days.value_or(0);
  EDGESEC_ASSIGN_OR_RETURN(
      cert->auto_renew, Policy(r, "auto_renew", lifetime ? std::optional(lifetime) : std::nullopt));
  return {};
}

}  // namespace edgesec::config::super::reader

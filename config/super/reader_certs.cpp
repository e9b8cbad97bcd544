// The super config reader's certificate sections: [edge_ca], [provisioning] and [cert_issuance]
// (EST, local CA, profiles): what certd issues, holds and renews.
#include <algorithm>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/reader_internal.hpp"
#include "config/super/super.hpp"
#include "config/super/values.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super::reader {

Status EdgeCaSection(Ctx& ctx, Reader& t, const toml::table& raw) {
  EdgeCa& e = ctx.c->edge_ca;
  EDGESEC_TRY(Int(t, "auto_generated_edge_ca_expiry_days", &e.quickstart_expiry_days, 1, 36500));
  EDGESEC_TRY(CertUri(ctx, t, "cert", false, &e.cert));
  EDGESEC_TRY(KeyUri(ctx, t, "pk", false, &e.pk));
  EDGESEC_ASSIGN_OR_RETURN(auto method, t.String("method"));
  EDGESEC_ASSIGN_OR_RETURN(auto hook, t.StringArray("on_change"));
  EDGESEC_ASSIGN_OR_RETURN(auto units, t.StringArray("on_change_units"));
  if (hook && units) return t.ErrorAt("on_change_units", "give 'on_change' or 'on_change_units'");
  if (hook) {
    if (hook->empty() || hook->front().empty() || hook->front()[0] != '/')
      return t.ErrorAt("on_change",
                       "must be a command as an array whose first element is an "
                       "absolute path, e.g. [\"/usr/local/bin/reload-modules\"]");
    e.on_change = *hook;
    ctx.c->files.push_back({hook->front(), "identityd", Where(t, "on_change")});
  }
  if (units && !units->empty()) {
    e.on_change = {"/usr/bin/systemctl", "reload-or-restart", "--no-block"};
    for (const auto& u : *units) {
      if (u.empty() || u.find('.') == std::string::npos || u[0] == '-')
        return t.ErrorAt("on_change_units",
                         "'" + u + "' is not a unit name such as \"my.service\"");
      e.on_change.push_back(u);
    }
  }
  if (method) {
    e.mode = EdgeCa::Mode::kIssued;
    if (!e.cert.empty() || !e.pk.empty())
      return t.ErrorAt(e.cert.empty() ? "pk" : "cert",
                       "give either files ('cert', 'pk') or 'method', not both");
    EDGESEC_TRY(Issued(ctx, t, &e.issued));
    e.auto_renew = e.issued.auto_renew;
  } else {
    for (const char* k : {"common_name", "subject", "expiry_days", "url", "username", "password",
                          "password_file", "bootstrap_identity_cert", "bootstrap_identity_pk",
                          "identity_cert", "identity_pk", "algorithm", "sans", "server_keygen"})
      if (raw.contains(k))
        return t.ErrorAt(k,
                         "belongs to an issued Edge CA: add method = \"self_signed\", "
                         "\"local_ca\" or \"est\", or remove it");
    if (!e.cert.empty() || !e.pk.empty()) {
      e.mode = EdgeCa::Mode::kFiles;
    }
    int64_t days = e.quickstart_expiry_days.value_or(90);
    EDGESEC_ASSIGN_OR_RETURN(e.auto_renew, Policy(t, "auto_renew", std::optional<int64_t>(days)));
  }
  EDGESEC_TRY(t.Finish());
  if (e.mode == EdgeCa::Mode::kFiles && (e.cert.empty() || e.pk.empty()))
    return t.ErrorAt(e.cert.empty() ? "pk" : "cert", "Edge CA files need both 'cert' and 'pk'");
  if (e.mode != EdgeCa::Mode::kQuickstart && e.quickstart_expiry_days)
    return t.ErrorAt("auto_generated_edge_ca_expiry_days",
                     "only for the quickstart Edge CA; with files or 'method' remove it (use "
                     "'expiry_days' with method = \"self_signed\" or \"local_ca\")");
  if (e.mode == EdgeCa::Mode::kFiles && e.auto_renew)
    return t.ErrorAt("auto_renew",
                     "an Edge CA from files is the integrator's and is not renewed; remove it or "
                     "set 'method'");
  return {};
}

Status ProvisioningSection(Ctx& ctx, Reader& t, const toml::table& raw) {
  std::string source;
  EDGESEC_TRY(Str(t, "source", &source));
  if (source == "dps")
    return t.ErrorAt("source", kDpsRefused);
  if (!source.empty() && source != "manual" && source != "none")
    return t.ErrorAt("source", "must be \"manual\" or \"none\"");
  EDGESEC_ASSIGN_OR_RETURN(auto auth, t.Table("authentication"));
  if (auth) {
    if (source != "manual")
      return t.ErrorAt("source", "[provisioning.authentication] needs source = \"manual\"");
    std::string method;
    EDGESEC_TRY(Str(*auth, "method", &method));
    if (method != "x509")
      return auth->ErrorAt("method", "must be \"x509\" (the device identity certificate)");
    DeviceIdentity& d = ctx.c->device;
    const toml::node* id_cert = raw.at_path("authentication.identity_cert").node();
    std::optional<Reader> issued;
    if (id_cert && id_cert->is_table()) {
      EDGESEC_ASSIGN_OR_RETURN(issued, auth->Table("identity_cert"));
    }
    if (issued) {
      d.mode = DeviceIdentity::Mode::kIssued;
      EDGESEC_TRY(Issued(ctx, *issued, &d.issued));
      EDGESEC_TRY(issued->Finish());
      // With an issued cert, identity_pk is the name of its key (default "device-id").
      EDGESEC_ASSIGN_OR_RETURN(auto pk, auth->String("identity_pk"));
      if (pk && !IsValidId(*pk))
        return auth->ErrorAt("identity_pk",
                             "with an issued identity_cert, 'identity_pk' is the "
                             "key's name (A-Za-z0-9._-:@$)");
      if (pk) d.pk = *pk;
    } else {
      d.mode = DeviceIdentity::Mode::kFiles;
      EDGESEC_TRY(CertUri(ctx, *auth, "identity_cert", false, &d.cert));
      EDGESEC_TRY(KeyUri(ctx, *auth, "identity_pk", false, &d.pk));
      if (d.cert.empty() || d.pk.empty())
        return auth->ErrorAt(d.cert.empty() ? "identity_cert" : "identity_pk",
                             "method \"x509\" needs 'identity_cert' and 'identity_pk' (file:// "
                             "URIs, or pkcs11: for the key), or an [provisioning.authentication."
                             "identity_cert] table for an issued one");
    }
    EDGESEC_TRY(auth->Finish());
  }
  return t.Finish();
}

// [cert_issuance.est] max_wait: seconds as an integer (90) or "Ns", or a span ("30m", "2h", "1d"),
// kept as the text certd reads ("90s").
Status MaxWait(Reader& t, std::optional<std::string>* out) {
  if (auto n = t.Integer("max_wait"); n && *n) {
    if (**n <= 0 || **n > 999999999)
      return t.ErrorAt("max_wait", "must be a positive number of seconds, or a span such as \"30m\"");
    *out = std::to_string(**n) + "s";
    return {};
  }
  EDGESEC_ASSIGN_OR_RETURN(auto text, t.String("max_wait"));
  if (text && text->size() > 1 && text->back() == 's' &&
      text->find_first_not_of("0123456789") == text->size() - 1) {
    if (text->size() > 10 || std::stoll(text->substr(0, text->size() - 1)) == 0)
      return t.ErrorAt("max_wait", "'" + *text + "' must be a positive number of seconds");
    *out = *text;
    return {};
  }
  return Span(t, "max_wait", false, out);
}

Status EstSection(Ctx& ctx, Reader& t) {
  Est& est = ctx.c->est;
  est.present = true;
  EDGESEC_ASSIGN_OR_RETURN(auto trusted, t.StringArray("trusted_certs"));
  if (trusted) {
    for (const auto& f : *trusted) {
      if (!IsFileUri(f) && (f.empty() || f[0] != '/'))
        return t.ErrorAt("trusted_certs", "'" + f + "' must be a file:///absolute/path URI");
      est.trusted_certs.push_back(f);
      ctx.c->files.push_back({PathOf(f), "certd", Where(t, "trusted_certs")});
    }
  }
  EDGESEC_TRY(Str(t, "label", &est.label));
  EDGESEC_TRY(MaxWait(t, &est.max_wait));
  EDGESEC_ASSIGN_OR_RETURN(auto keygen, t.Boolean("server_keygen"));
  est.server_keygen = keygen.value_or(false);
  EDGESEC_ASSIGN_OR_RETURN(auto urls, t.Table("urls"));
  if (urls) {
    EDGESEC_TRY(EstUrl(*urls, "default", &est.url, ctx));
    // The peer's per-certificate URLs, by its certificate ids.
    EDGESEC_TRY(EstUrl(*urls, "aziot-edged-ca", &ctx.c->edge_ca.issued.est.url, ctx));
    EDGESEC_TRY(EstUrl(*urls, "device-id", &ctx.c->device.issued.est.url, ctx));
    if (!ctx.c->edge_ca.issued.est.url.empty())
      ctx.c->edge_ca.issued.est.url_position = Where(*urls, "aziot-edged-ca");
    if (!ctx.c->device.issued.est.url.empty())
      ctx.c->device.issued.est.url_position = Where(*urls, "device-id");
    EDGESEC_TRY(urls->Finish());
  }
  EDGESEC_ASSIGN_OR_RETURN(auto auth, t.Table("auth"));
  if (auth) {
    EDGESEC_TRY(Password(ctx, *auth, &est.username, &est.password, &est.password_file));
    EDGESEC_TRY(CertUri(ctx, *auth, "bootstrap_identity_cert", false, &est.bootstrap_cert));
    EDGESEC_TRY(KeyUri(ctx, *auth, "bootstrap_identity_pk", false, &est.bootstrap_pk));
    EDGESEC_TRY(CertUri(ctx, *auth, "identity_cert", true, &est.identity_cert));
    EDGESEC_TRY(KeyUri(ctx, *auth, "identity_pk", true, &est.identity_pk));
    EDGESEC_TRY(Str(*auth, "identity_common_name", &est.identity_common_name));
    if (est.bootstrap_cert.empty() != est.bootstrap_pk.empty())
      return auth->ErrorAt(
          est.bootstrap_cert.empty() ? "bootstrap_identity_pk" : "bootstrap_identity_cert",
          "give both 'bootstrap_identity_cert' and 'bootstrap_identity_pk'");
    if (est.identity_cert.empty() != est.identity_pk.empty() &&
        (IsFileUri(est.identity_cert) || !est.identity_pk.empty()))
      return auth->ErrorAt(est.identity_cert.empty() ? "identity_pk" : "identity_cert",
                           "give both 'identity_cert' and 'identity_pk'");
    EDGESEC_TRY(auth->Finish());
  }
  EDGESEC_ASSIGN_OR_RETURN(est.identity_auto_renew, Policy(t, "identity_auto_renew", std::nullopt));
  if (est.identity_auto_renew) est.identity_auto_renew_position = Where(t, "identity_auto_renew");
  return t.Finish();
}

// [cert_issuance.est] server_keygen is the default of every certificate issued over EST; the EST
// identity's renewal policy needs an EST identity (a bootstrap identity alone enrolls directly).
void ResolveServerKeygen(Ctx& ctx) {
  SuperConfig& c = *ctx.c;
  if (c.est.identity_auto_renew && c.est.identity_cert.empty())
    ctx.warnings->push_back(c.est.identity_auto_renew_position +
                            ": renews the EST identity named by 'identity_cert', and none is set "
                            "(a bootstrap identity alone enrolls each certificate directly); "
                            "ignored");
  for (IssuedCert* cert : {&c.edge_ca.issued, &c.device.issued})
    if (cert->method == certd::IssuanceMethod::kEst && !cert->server_keygen)
      cert->server_keygen = c.est.server_keygen;
}

Status ProfilesSection(Ctx& ctx, Reader& t) {
  static const char* kKeyUsage[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                    "dataEncipherment", "keyAgreement",   "keyCertSign",
                                    "cRLSign",          "encipherOnly",   "decipherOnly"};
  for (const std::string& name : t.Keys()) {
    if (!IsValidId(name)) return t.ErrorAt(name, "a profile name is A-Za-z0-9._-:@$");
    EDGESEC_ASSIGN_OR_RETURN(auto p, t.Table(name));
    Profile prof;
    prof.name = name;
    EDGESEC_TRY(Int(*p, "validity_days", &prof.validity_days, 1, 36500));
    EDGESEC_TRY(Int(*p, "pathlen", &prof.pathlen, 0, 16));
    EDGESEC_ASSIGN_OR_RETURN(prof.key_usage, p->StringArray("key_usage"));
    for (const auto& ku : prof.key_usage.value_or(std::vector<std::string>{}))
      if (std::find(std::begin(kKeyUsage), std::end(kKeyUsage), ku) == std::end(kKeyUsage))
        return p->ErrorAt("key_usage", "'" + ku +
                                           "' is not a keyUsage name (digitalSignature, "
                                           "keyEncipherment, keyCertSign, cRLSign, …)");
    EDGESEC_ASSIGN_OR_RETURN(prof.extended_key_usage, p->StringArray("extended_key_usage"));
    EDGESEC_ASSIGN_OR_RETURN(prof.san, p->String("san"));
    if (prof.san && *prof.san != "copy" && *prof.san != "none")
      return p->ErrorAt("san", "must be \"copy\" (the CSR's SANs) or \"none\"");
    EDGESEC_ASSIGN_OR_RETURN(prof.ca, p->Boolean("ca"));
    if (prof.pathlen && !prof.ca.value_or(false))
      return p->ErrorAt("pathlen", "only for a CA profile (ca = true)");
    EDGESEC_TRY(p->Finish());
    ctx.c->profiles.push_back(std::move(prof));
  }
  return {};
}

Status CertIssuanceSection(Ctx& ctx, Reader& t) {
  EDGESEC_ASSIGN_OR_RETURN(auto est, t.Table("est"));
  if (est) EDGESEC_TRY(EstSection(ctx, *est));
  EDGESEC_ASSIGN_OR_RETURN(auto local, t.Table("local_ca"));
  if (local) {
    LocalCa ca;
    EDGESEC_TRY(CertUri(ctx, *local, "cert", true, &ca.cert));
    EDGESEC_TRY(KeyUri(ctx, *local, "pk", true, &ca.pk));
    if (ca.cert.empty() || ca.pk.empty())
      return local->ErrorAt(ca.cert.empty() ? "cert" : "pk",
                            "the local CA needs 'cert' and 'pk' (file:// URIs, or names of a "
                            "cert and key edgesec holds)");
    EDGESEC_TRY(local->Finish());
    ctx.c->local_ca = ca;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto profiles, t.Table("profiles"));
  if (profiles) EDGESEC_TRY(ProfilesSection(ctx, *profiles));
  return t.Finish();
}

}  // namespace edgesec::config::super::reader

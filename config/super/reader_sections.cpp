// The super config reader's sections: [edge_ca], [provisioning], [cert_issuance], keys, [tpm],
// preloaded keys and certs, engines, principals, module certs, and the checks across sections.
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
                          "identity_cert", "identity_pk", "algorithm", "sans"})
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
    return t.ErrorAt(
        "source",
        "DPS provisioning is outside edgesec (it talks to Azure's Device Provisioning "
        "Service); use source = \"manual\" with [provisioning.authentication] method = "
        "\"x509\" and the device's identity_cert / identity_pk, or an issued "
        "[provisioning.authentication.identity_cert]");
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
  EDGESEC_TRY(Span(t, "max_wait", false, &est.max_wait));
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
  return t.Finish();
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

Status KeysSection(Ctx& ctx, Reader& t) {
  Keys& k = ctx.c->keys;
  EDGESEC_TRY(Path(ctx, t, "pkcs11_lib_path", "keyd", &k.pkcs11_lib_path));
  EDGESEC_ASSIGN_OR_RETURN(auto slot, t.String("pkcs11_base_slot"));
  if (slot) {
    if (slot->rfind("pkcs11:", 0) != 0)
      return t.ErrorAt("pkcs11_base_slot", "must be a pkcs11: URI naming the token");
    if (Status st = CheckPkcs11Uri(*slot); !st)
      return t.ErrorAt("pkcs11_base_slot", "'" + *slot + "' " + st.error().message);
    NotePinFile(ctx, t, "pkcs11_base_slot", *slot);
    ctx.pkcs11_uses.push_back(Where(t, "pkcs11_base_slot"));
    k.pkcs11_base_slot = *slot;
  }
  EDGESEC_TRY(Int(t, "pkcs11_security_level", &k.pkcs11_security_level, 0, 2));
  EDGESEC_ASSIGN_OR_RETURN(k.pkcs11_state_dirs, t.StringArray("pkcs11_state_dirs"));
  for (const auto& d : k.pkcs11_state_dirs.value_or(std::vector<std::string>{}))
    if (d.empty() || d[0] != '/' || d.find_first_of(" \t\n\"") != std::string::npos)
      return t.ErrorAt("pkcs11_state_dirs", "'" + d + "' must be an absolute path without spaces");
  EDGESEC_TRY(Str(t, "default_engine", &k.default_engine));
  k.default_engine_position = Where(t, "default_engine");
  EDGESEC_TRY(Str(t, "preferred_algorithms", &k.preferred_algorithms));
  if (!k.preferred_algorithms.empty()) {
    std::string s = k.preferred_algorithms + ":";
    for (size_t start = 0, end; (end = s.find(':', start)) != std::string::npos; start = end + 1) {
      std::string a = s.substr(start, end - start);
      if (a != "*" && a != "ed25519" && !IsKeyAlgorithm(a))
        return t.ErrorAt("preferred_algorithms",
                         "'" + a +
                             "' is not ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, "
                             "ed25519 or *");
    }
  }
  return t.Finish();
}

Status TpmSection(Ctx& ctx, Reader& t) {
  Tpm tpm;
  EDGESEC_TRY(Str(t, "tcti", &tpm.tcti));
  EDGESEC_TRY(Path(ctx, t, "owner_auth_file", "keyd", &tpm.owner_auth_file));
  EDGESEC_TRY(Int(t, "persistent_handle", &tpm.persistent_handle, 0x81000000, 0x817FFFFF));
  EDGESEC_TRY(Int(t, "security_level", &tpm.security_level, 0, 2));
  // IoT Edge's TPM service keys: the owner hierarchy's password is keyd's; the rest is DPS's.
  EDGESEC_ASSIGN_OR_RETURN(auto hierarchy, t.Table("hierarchy_authorization"));
  if (hierarchy) {
    EDGESEC_ASSIGN_OR_RETURN(tpm.owner_auth, hierarchy->String("owner"));
    if (tpm.owner_auth && !tpm.owner_auth_file.empty())
      return hierarchy->ErrorAt("owner", "give the owner password here or 'owner_auth_file'");
    EDGESEC_ASSIGN_OR_RETURN(auto endorsement, hierarchy->String("endorsement"));
    if (endorsement)
      Warn(ctx, *hierarchy, "endorsement",
           "the endorsement hierarchy is used only for DPS TPM attestation; edgesec ignores it");
    EDGESEC_TRY(hierarchy->Finish());
  }
  EDGESEC_ASSIGN_OR_RETURN(auto index, t.Integer("auth_key_index"));
  if (index)
    Warn(ctx, t, "auth_key_index",
         "the DPS TPM authentication key is used only by IoT Edge's DPS provisioning; edgesec "
         "ignores it");
  EDGESEC_TRY(t.Finish());
  // An empty [tpm] (IoT Edge's template has one) means no TPM.
  if (!tpm.tcti.empty())
    ctx.c->tpm = tpm;
  else if (!tpm.owner_auth_file.empty() || tpm.owner_auth || tpm.persistent_handle ||
           tpm.security_level)
    return t.ErrorAt("tcti", "the TPM settings need 'tcti', e.g. \"device:/dev/tpmrm0\"");
  return {};
}

Status PreloadedSections(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto keys, r.Table("preloaded_keys"));
  if (keys) {
    for (const std::string& id : keys->Keys()) {
      if (!IsValidId(id)) return keys->ErrorAt(id, "a key id is 1-128 of A-Za-z0-9._-:@$");
      std::string uri;
      EDGESEC_TRY(KeyUri(ctx, *keys, id, false, &uri));
      ctx.c->preloaded_keys[id] = uri;
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(auto certs, r.Table("preloaded_certs"));
  if (certs) {
    for (const std::string& id : certs->Keys()) {
      if (!IsValidId(id)) return certs->ErrorAt(id, "a cert id is 1-128 of A-Za-z0-9._-:@$");
      std::string uri;
      EDGESEC_TRY(CertUri(ctx, *certs, id, false, &uri));
      ctx.c->preloaded_certs[id] = uri;
    }
  }
  return {};
}

Status EngineSections(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto engines, r.Table("engines"));
  if (engines) {
    for (const std::string& name : engines->Keys()) {
      if (name == "file" || name == "pkcs11" || name == "tpm")
        return engines->ErrorAt(name,
                                "'" + name + "' is built in; name vendor engines differently");
      EDGESEC_ASSIGN_OR_RETURN(auto t, engines->Table(name));
      VendorEngine e;
      e.name = name;
      EDGESEC_TRY(Path(ctx, *t, "path", "keyd", &e.path));
      if (e.path.empty()) return t->ErrorAt("path", "a vendor engine needs 'path' (its .so)");
      EDGESEC_TRY(Str(*t, "options", &e.options));
      EDGESEC_TRY(Int(*t, "security_level", &e.security_level, 0, 2));
      EDGESEC_TRY(t->Finish());
      ctx.c->engines.push_back(std::move(e));
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(auto rules, r.TableArray("key_engine"));
  for (auto& t : rules) {
    KeyEngineRule rule;
    EDGESEC_ASSIGN_OR_RETURN(auto keys, t.StringArray("keys"));
    if (!keys || keys->empty()) return t.ErrorAt("keys", "a rule needs 'keys' (globs of key ids)");
    rule.keys = *keys;
    EDGESEC_TRY(Str(t, "engine", &rule.engine));
    rule.position = Where(t, "engine");
    if (rule.engine.empty()) return t.ErrorAt("engine", "a rule needs 'engine'");
    EDGESEC_TRY(t.Finish());
    ctx.c->key_engines.push_back(std::move(rule));
  }
  return {};
}

Status PrincipalSections(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto tables, r.TableArray("principal"));
  for (auto& t : tables) {
    Principal p;
    p.position = Where(t, "");
    p.position = p.position.substr(0, p.position.rfind(": '"));
    EDGESEC_TRY(Int(t, "uid", &p.uid, 0, 0x7fffffff));
    EDGESEC_TRY(Str(t, "name", &p.name));
    if (p.uid.has_value() == !p.name.empty())
      return t.ErrorAt(p.uid ? "name" : "uid", "give either 'uid' or 'name' (a user), not both");
    EDGESEC_ASSIGN_OR_RETURN(auto keys, t.StringArray("keys"));
    EDGESEC_ASSIGN_OR_RETURN(auto certs, t.StringArray("certs"));
    EDGESEC_ASSIGN_OR_RETURN(auto modules, t.StringArray("modules"));
    p.keys = keys.value_or(std::vector<std::string>{});
    p.certs = certs.value_or(std::vector<std::string>{});
    p.modules = modules.value_or(std::vector<std::string>{});
    for (const auto& m : p.modules)
      if (!IsValidId(m)) return t.ErrorAt("modules", "'" + m + "' is not a module id");
    EDGESEC_TRY(Str(t, "idtype", &p.idtype));
    if (!p.idtype.empty() && p.idtype != "device" && p.idtype != "module")
      return t.ErrorAt("idtype", "must be \"device\" or \"module\"");
    if (p.idtype == "module" && p.modules.empty())
      return t.ErrorAt("idtype", "a module principal needs 'modules'");
    if (p.keys.empty() && p.certs.empty() && p.modules.empty() && p.idtype != "device")
      return t.ErrorAt("keys",
                       "a principal needs 'keys', 'certs', 'modules' or idtype = "
                       "\"device\" (what it may use)");
    EDGESEC_TRY(t.Finish());
    ctx.c->principals.push_back(std::move(p));
  }
  return {};
}

Status ModuleCertsSection(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto t, r.Table("module_certs"));
  if (!t) return {};
  EDGESEC_TRY(Int(*t, "validity_days", &ctx.c->module_certs.validity_days, 1, 3650));
  EDGESEC_TRY(Str(*t, "algorithm", &ctx.c->module_certs.algorithm));
  if (!ctx.c->module_certs.algorithm.empty() && !IsKeyAlgorithm(ctx.c->module_certs.algorithm))
    return t->ErrorAt("algorithm", "must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096");
  return t->Finish();
}

// certd holds one bootstrap identity and one EST identity: a certificate's own must be the same as
// [cert_issuance.est.auth]'s, or become it when that has none.
Status ResolveIdentities(Ctx& ctx) {
  Est& est = ctx.c->est;
  for (const auto& o : ctx.identity_overrides) {
    std::string* global = o.what == "bootstrap_identity_cert" ? &est.bootstrap_cert
                          : o.what == "bootstrap_identity_pk" ? &est.bootstrap_pk
                          : o.what == "identity_cert"         ? &est.identity_cert
                                                              : &est.identity_pk;
    if (global->empty()) {
      *global = o.value;
    } else if (*global != o.value) {
      return MakeError(ErrorKind::kConfig,
                       o.position + ": edgesec uses one " + o.what +
                           " for every EST request, and '" + *global +
                           "' is already set; make them the same or remove this one");
    }
  }
  return {};
}

Status CrossSection(Ctx& ctx, Reader& r) {
  const SuperConfig& c = *ctx.c;
  auto needs_est = [&](const IssuedCert& cert, const char* where) -> Status {
    if (cert.method == certd::IssuanceMethod::kEst && cert.est.url.empty() && c.est.url.empty())
      return MakeError(ErrorKind::kConfig, cert.position +
                                               ": \"est\" needs the EST server: set 'url' in " +
                                               where + " or [cert_issuance.est.urls] default");
    if (cert.method == certd::IssuanceMethod::kLocalCa && !c.local_ca)
      return MakeError(ErrorKind::kConfig, cert.position +
                                               ": \"local_ca\" needs [cert_issuance.local_ca] with "
                                               "'cert' and 'pk'");
    return {};
  };
  if (c.edge_ca.mode == EdgeCa::Mode::kIssued)
    EDGESEC_TRY(needs_est(c.edge_ca.issued, "[edge_ca]"));
  if (c.device.mode == DeviceIdentity::Mode::kIssued)
    EDGESEC_TRY(needs_est(c.device.issued, "[provisioning.authentication.identity_cert]"));
  // certd has one CA label: a certificate's own URL may not name another one.
  std::string label = !c.est.label.empty() ? c.est.label : EstLabelOf(c.est.url);
  for (const IssuedCert* cert : {&c.edge_ca.issued, &c.device.issued}) {
    std::string own = EstLabelOf(cert->est.url);
    if (own.empty()) continue;
    if (label.empty()) label = own;
    if (own != label)
      return MakeError(ErrorKind::kConfig,
                       cert->est.url_position + ": names CA label '" + own + "', but '" + label +
                           "' is already the label of every EST request; use one label");
  }
  // Engines named by default_engine and rules must exist.
  auto known = [&](const std::string& e) {
    return e == "file" || (e == "pkcs11" && !c.keys.pkcs11_lib_path.empty()) ||
           (e == "tpm" && c.tpm) ||
           std::any_of(c.engines.begin(), c.engines.end(), [&](auto& v) { return v.name == e; });
  };
  if (!c.keys.default_engine.empty() && !known(c.keys.default_engine))
    return MakeError(ErrorKind::kConfig,
                     c.keys.default_engine_position + ": '" + c.keys.default_engine +
                         "' is not \"file\", \"pkcs11\" (with pkcs11_lib_path), \"tpm\" (with "
                         "[tpm] tcti) or an [engines.<name>]");
  for (const auto& rule : c.key_engines)
    if (!known(rule.engine))
      return MakeError(ErrorKind::kConfig,
                       rule.position + ": engine '" + rule.engine +
                           "' is not configured; name \"file\", \"pkcs11\" (with "
                           "pkcs11_lib_path), \"tpm\" (with [tpm] tcti) or an [engines.<name>]");
  (void)r;
  return {};
}

void PkcsWarnings(Ctx& ctx) {
  if (!ctx.c->keys.pkcs11_lib_path.empty()) return;
  for (const auto& where : ctx.pkcs11_uses)
    ctx.warnings->push_back(where +
                            ": a pkcs11: URI with no [aziot_keys] pkcs11_lib_path; keyd "
                            "will load p11-kit's proxy module " EDGESEC_P11KIT_PROXY
                            " (set pkcs11_lib_path to your token's module)");
}

// Warnings in file order: "file:line:col: …".
void SortWarnings(std::vector<std::string>* warnings) {
  auto position = [](const std::string& w) {
    size_t a = w.find(':'), b = w.find(':', a + 1);
    return std::pair(std::atol(w.c_str() + a + 1), std::atol(w.c_str() + b + 1));
  };
  std::stable_sort(warnings->begin(), warnings->end(),
                   [&](const auto& x, const auto& y) { return position(x) < position(y); });
}

}  // namespace edgesec::config::super::reader

// Every certificate certd serves: valid now and not within its expiry warnings (unless certd renews
// it by itself before then), its chain verifies (X509_verify_cert) to the trust bundle or its own
// root (a self-signed leaf is its own issuer; a device identity is verified by the hub, not here),
// its key in keyd matches (a preloaded cert's key is keyd's key of the same id), and its
// credential's renewal is not failing.
#include <openssl/err.h>

#include <map>
#include <optional>

#include "certd/client/certd_client.hpp"
#include "cli/check/chain.hpp"
#include "cli/check/check.hpp"
#include "common/fs.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "common/x509/time.hpp"
#include "config/certd/config.hpp"
#include "config/identityd/config.hpp"
#include "config/keyd/config.hpp"
#include "daemon/client/identityd_client.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::cli::check {
namespace {

using certd::api::CertSummary;
using certd::api::CredentialStatus;
using edgesec::x509::Chain;

struct Served {
  CertSummary summary;
  Chain chain;  // leaf first
  std::optional<certd::api::RevocationInfo> revocation;
};

struct Context {
  Context(Env& e, Report& r) : env(e), report(r) {}
  Env& env;
  Report& report;
  std::map<std::string, CredentialStatus> creds;
  certd::CertdConfig config = certd::DefaultCertdConfig();
  std::string device_cert;                            // identityd's device identity cert id, if any
  std::string edge_ca_cert = "edge-ca";               // identityd's Edge CA cert id
  std::map<std::string, std::string> preloaded_keys;  // keyd's [preloaded_keys]
  std::vector<X509Ptr> anchors;  // trust bundle, EST trust anchors, certd's self-signed CAs
  std::vector<X509Ptr> pool;     // every cert certd serves: candidate intermediates
  std::optional<keyd::KeydClient> keyd;
};

// "" when the chain verifies, else why not (*err: OpenSSL's code). Dates are the validity
// check's business.
std::string VerifyChain(const Context& ctx, const Chain& chain, std::string* root, int* err) {
  UniquePtr<X509_STORE> store(X509_STORE_new());
  UniquePtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  UniquePtr<X509_STORE_CTX> vctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !vctx) return "out of memory";
  for (const auto& a : ctx.anchors) X509_STORE_add_cert(store.get(), a.get());
  for (const auto& c : chain) {
    if (SelfSigned(c.get()))
      X509_STORE_add_cert(store.get(), c.get());
    else if (c != chain.front())
      sk_X509_push(untrusted.get(), Ref(c.get()).release());
  }
  for (const auto& c : ctx.pool) sk_X509_push(untrusted.get(), Ref(c.get()).release());
  ERR_clear_error();  // X509_STORE_add_cert of a duplicate leaves an error behind
  if (X509_STORE_CTX_init(vctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1)
    return DrainOpenSslErrors();
  X509_STORE_CTX_set_flags(vctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(vctx.get()) == 1) {
    STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(vctx.get());
    X509* top = sk_X509_value(built, sk_X509_num(built) - 1);
    *root = edgesec::x509::NameText(X509_get_subject_name(top));
    return {};
  }
  *err = X509_STORE_CTX_get_error(vctx.get());
  int depth = X509_STORE_CTX_get_error_depth(vctx.get());
  ERR_clear_error();
  return std::string(X509_verify_cert_error_string(*err)) + " (at depth " + std::to_string(depth) +
         ")";
}

const CredentialStatus* CredOf(const Context& ctx, const std::string& id) {
  auto it = ctx.creds.find(id);
  return it == ctx.creds.end() ? nullptr : &it->second;
}

// What renews this cert, as a hint.
std::string RenewHint(const Context& ctx, const Served& s) {
  const std::string& id = s.summary.cert_id;
  const CredentialStatus* cred = CredOf(ctx, id);
  if (cred != nullptr &&
      certd::ParseIssuanceMethod(cred->method) != certd::IssuanceMethod::kPreloaded)
    return "renew it now: edgectl cert renew " + id +
           (cred->auto_renew ? "" : " (auto_renew is off for this credential)");
  auto pre = ctx.config.preloaded_certs.find(id);
  if (s.summary.preloaded && pre != ctx.config.preloaded_certs.end())
    return "replace '" + pre->second +
           "' with a renewed certificate (certd reads that file and never renews it), or import "
           "one: edgectl cert import " +
           id + " FILE";
  return "import a renewed certificate: edgectl cert import " + id + " FILE";
}

// What replaces a revoked cert: certd re-issues a credential by itself (a new key), so a revoked
// credential still served means that failed; anything else needs a new certificate from outside.
std::string RevokedHint(const Context& ctx, const Served& s) {
  const std::string& id = s.summary.cert_id;
  const CredentialStatus* cred = CredOf(ctx, id);
  if (cred != nullptr &&
      certd::ParseIssuanceMethod(cred->method) != certd::IssuanceMethod::kPreloaded)
    return "certd re-issues a revoked credential with a new key by itself; it has not (see "
           "cert-renewal:" +
           id + " and certd's log); fix the cause, then: edgectl cert renew " + id +
           " --reason revoked";
  return RenewHint(ctx, s) + " (with a new key: this one's cert is revoked)";
}

std::vector<certd::renewal::Span> WarningsFor(const Context& ctx, const std::string& id) {
  auto it = ctx.config.credentials.find(id);
  if (it != ctx.config.credentials.end()) return it->second.policy.expiry_warnings;
  return certd::renewal::Policy::DefaultWarnings();
}

// certd renews the credential by itself before notAfter, and its renewal is not failing: an
// expiry warning would cry wolf (a quickstart Edge CA shorter than 30 days is always within one).
bool RenewsInTime(const Context& ctx, const std::string& id, int64_t not_after) {
  const CredentialStatus* cred = CredOf(ctx, id);
  if (cred == nullptr || !cred->auto_renew || cred->attempts > 0 || !cred->last_error.empty() ||
      certd::ParseIssuanceMethod(cred->method) == certd::IssuanceMethod::kPreloaded)
    return false;
  auto next = edgesec::x509::ParseRfc3339(cred->next_renewal);
  return next && *next < not_after;
}

// Validity now; returns false when the cert is not valid now.
bool CheckValidity(Context& ctx, const Served& s) {
  const std::string& id = s.summary.cert_id;
  std::string key = "cert-validity:" + id;
  X509* leaf = s.chain.front().get();
  auto nb = edgesec::x509::ToEpoch(X509_get0_notBefore(leaf));
  auto na = edgesec::x509::ToEpoch(X509_get0_notAfter(leaf));
  if (!nb || !na) {
    ctx.report.Fail(key, "cert '" + id + "' has unreadable dates", RenewHint(ctx, s));
    return false;
  }
  ctx.env.certs.push_back({id, *nb, *na});
  int64_t now = ctx.env.now;
  std::string until = edgesec::x509::Rfc3339(*na);
  if (now < *nb) {
    ctx.report.Fail(key,
                    "cert '" + id + "' is not valid yet: notBefore " + edgesec::x509::Rfc3339(*nb) +
                        " is " + Span(*nb - now) + " ahead",
                    "check the clock (see the clock check), or " + RenewHint(ctx, s));
    return false;
  }
  if (now >= *na) {
    ctx.report.Fail(
        key, "cert '" + id + "' expired " + Span(now - *na) + " ago (notAfter " + until + ")",
        RenewHint(ctx, s));
    return false;
  }
  int64_t left = *na - now;
  std::optional<certd::renewal::Span> within;
  for (const auto& w : WarningsFor(ctx, id))
    if (w.kind == certd::renewal::Span::Kind::kSeconds && left <= w.value &&
        (!within || w.value < within->value))
      within = w;
  if (within && RenewsInTime(ctx, id, *na)) {
    ctx.report.Pass(key, "cert '" + id + "' is valid until " + until + " (" + Span(left) +
                             "); certd renews it by itself at " + CredOf(ctx, id)->next_renewal);
    return true;
  }
  if (within) {
    ctx.report.Warn(key,
                    "cert '" + id + "' expires in " + Span(left) + " (notAfter " + until +
                        "), within its " + within->text + " expiry warning",
                    RenewHint(ctx, s));
    return true;
  }
  ctx.report.Pass(key, "cert '" + id + "' is valid until " + until + " (" + Span(left) + ")");
  return true;
}

void CheckChain(Context& ctx, const Served& s) {
  const std::string& id = s.summary.cert_id;
  std::string key = "cert-chain:" + id;
  std::string root;
  int err = 0;
  std::string why = VerifyChain(ctx, s.chain, &root, &err);
  if (why.empty()) {
    ctx.report.Pass(key, "cert '" + id + "' chains to '" + root + "'");
    return;
  }
  if (s.chain.size() == 1 && SignedBySelf(s.chain.front().get())) {
    ctx.report.Pass(key, "cert '" + id + "' is self-signed (not a CA): it is its own issuer");
    return;
  }
  bool unknown_issuer = (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                         err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) &&
                        Consistent(s.chain);
  if (!unknown_issuer) {
    ctx.report.Fail(key, "cert '" + id + "': the chain certd holds is broken: " + why,
                    RenewHint(ctx, s));
    return;
  }
  std::string top = edgesec::x509::NameText(X509_get_subject_name(s.chain.back().get()));
  std::string issuer = edgesec::x509::NameText(X509_get_issuer_name(s.chain.back().get()));
  std::string consistent =
      "its chain is consistent up to '" + top + "', issued by '" + issuer + "'";
  if (id == ctx.device_cert) {
    ctx.report.Pass(key, "cert '" + id + "' (the device identity): " + consistent +
                             ", which the hub or the EST server verifies (no local anchor needed)");
    return;
  }
  ctx.report.Warn(key,
                  "cert '" + id + "': " + consistent +
                      ", which is not in the trust bundle nor in certd's EST trusted_certs: "
                      "nothing here verifies it to a root; whoever checks this cert must trust '" +
                      issuer + "'",
                  "if local clients must verify it, add the certificate of '" + issuer +
                      "' to trust_bundle_cert (config.toml), then edgectl config apply");
}

// The keyd key of a cert certd names no key for: what certd signs with for an issuer (the
// credential's key id, else the cert id), or keyd's preloaded key of the same id.
std::string KeyIdOf(const Context& ctx, const Served& s) {
  const std::string& id = s.summary.cert_id;
  const CredentialStatus* cred = CredOf(ctx, id);
  if (cred != nullptr && !cred->key_id.empty()) return cred->key_id;
  if (!s.summary.key_id.empty()) return s.summary.key_id;
  if (auto c = ctx.config.credentials.find(id); c != ctx.config.credentials.end())
    if (!c->second.key_id.empty()) return c->second.key_id;
  if (id == ctx.edge_ca_cert || ctx.preloaded_keys.count(id)) return id;
  return {};
}

// What fixes a cert that is not its key's.
std::string MismatchHint(const Context& ctx, const Served& s, const std::string& key_id) {
  const std::string& id = s.summary.cert_id;
  auto pre_cert = ctx.config.preloaded_certs.find(id);
  auto pre_key = ctx.preloaded_keys.find(key_id);
  if (pre_cert != ctx.config.preloaded_certs.end() && !s.summary.preloaded)
    return "a stored cert '" + id + "' hides the configured file '" + pre_cert->second +
           "': delete it so that certd serves the file: edgectl cert delete " + id;
  if (pre_cert != ctx.config.preloaded_certs.end() || pre_key != ctx.preloaded_keys.end())
    return "configure the cert and the key that belong together (certd's '" +
           (pre_cert == ctx.config.preloaded_certs.end() ? id : pre_cert->second) + "', keyd's '" +
           (pre_key == ctx.preloaded_keys.end() ? key_id : pre_key->second) +
           "'), e.g. [edge_ca] cert and pk in config.toml, then edgectl config apply";
  return "renew the cert with a fresh key: edgectl cert renew " + id + " --rotate-key";
}

void CheckKey(Context& ctx, const Served& s) {
  const std::string& id = s.summary.cert_id;
  std::string key = "cert-key:" + id;
  std::string key_id = KeyIdOf(ctx, s);
  if (key_id.empty()) {
    ctx.report.Skip(key, "cert '" + id + "': certd names no keyd key for it");
    return;
  }
  if (!ctx.keyd) {
    ctx.report.Skip(
        key, "cert '" + id + "': keyd is not reachable; key '" + key_id + "' cannot be compared");
    return;
  }
  auto handle = ctx.keyd->GetKeyPair(key_id);
  if (!handle) {
    ctx.report.Fail(key,
                    "cert '" + id + "': its key '" + key_id +
                        "' cannot be loaded from keyd: " + handle.error().message,
                    "import the cert's key into keyd (edgectl cert import " + id +
                        " FILE with the key, --key-id " + key_id +
                        "), or renew the cert: " + "edgectl cert renew " + id);
    return;
  }
  auto pub = ctx.keyd->PublicKey(*handle);
  if (!pub) {
    ctx.report.Fail(key,
                    "cert '" + id + "': keyd cannot give the public key of '" + key_id +
                        "': " + pub.error().message,
                    "see keyd's log; the key's engine may be unreachable (see the tokens check)");
    return;
  }
  EVP_PKEY* cert_key = X509_get0_pubkey(s.chain.front().get());
  if (cert_key == nullptr || EVP_PKEY_eq(cert_key, pub->get()) != 1) {
    ERR_clear_error();
    ctx.report.Fail(key, "cert '" + id + "' does not match its key '" + key_id + "' in keyd",
                    MismatchHint(ctx, s, key_id));
    return;
  }
  ctx.report.Pass(key, "cert '" + id + "' matches its key '" + key_id + "' in keyd");
}

void CheckRenewal(Context& ctx, const std::string& id, bool valid_now) {
  const CredentialStatus* cred = CredOf(ctx, id);
  if (cred == nullptr) return;  // not a credential: nothing renews it
  std::string key = "cert-renewal:" + id;
  if (cred->attempts > 0 && !cred->last_error.empty()) {
    std::string msg = "renewal of '" + id + "' failed " + std::to_string(cred->attempts) +
                      " time(s), last at " + cred->last_attempt + ": " + cred->last_error;
    std::string hint = "fix the cause, then retry: edgectl cert renew " + id;
    if (valid_now)
      ctx.report.Warn(key, msg, hint);
    else
      ctx.report.Fail(key, msg, hint);
    return;
  }
  if (!cred->last_error.empty()) {
    ctx.report.Warn(key, "credential '" + id + "': " + cred->last_error,
                    "see certd's renewal settings for '" + id + "' (docs/certd.md, \"Renewal\")");
    return;
  }
  std::string next = !cred->auto_renew            ? "auto_renew is off"
                     : cred->next_renewal.empty() ? "no renewal scheduled"
                                                  : "next renewal " + cred->next_renewal;
  ctx.report.Pass(key, "credential '" + id + "' (" + cred->method + "): " + next);
}

void CheckMissing(Context& ctx, const std::vector<Served>& served) {
  for (const auto& [id, cred] : ctx.creds) {
    bool listed = false;
    for (const auto& s : served) listed = listed || s.summary.cert_id == id;
    if (listed) continue;
    if (cred.state != "missing") {  // e.g. a stored file that is empty: certd lists no cert
      ctx.report.Fail("cert-renewal:" + id,
                      "credential '" + id + "' is '" + cred.state +
                          "' but certd serves no cert for it (its stored file is empty or "
                          "damaged)",
                      "issue it anew: edgectl cert renew " + id);
      continue;
    }
    std::string issue = certd::ParseIssuanceMethod(cred.method) == certd::IssuanceMethod::kEst
                            ? "edgectl cert enroll "
                            : "edgectl cert renew ";
    std::string err = cred.last_error.empty() ? "" : " (last error: " + cred.last_error + ")";
    std::string msg = "credential '" + id + "' (" + cred.method + ") has no certificate yet" + err;
    // Failed attempts: nothing is served from it until the cause is fixed (e.g. a stored file
    // certd cannot read) — a failure of the check, not a warning.
    if (cred.attempts > 0)
      ctx.report.Fail("cert-renewal:" + id, msg, "fix the last error, then: " + issue + id);
    else
      ctx.report.Warn("cert-renewal:" + id, msg, "issue it: " + issue + id);
  }
}

void LoadAnchors(Context& ctx) {
  if (ctx.env.Reachable("identityd")) {
    identityd::IdentitydClient identityd(ctx.env.layout.Socket("identityd"));
    if (auto bundle = identityd.TrustBundle())
      if (auto chain = edgesec::x509::ParsePemChain(*bundle))
        for (auto& c : *chain) ctx.anchors.push_back(std::move(c));
  }
  for (const auto& path : ctx.config.est.trusted_certs) AddPemFile(path, &ctx.anchors);
  for (const auto& c : ctx.pool)
    if (SelfSigned(c.get())) ctx.anchors.push_back(Ref(c.get()));
}

}  // namespace

void CheckCerts(Env& env, Report& report) {
  if (!env.Reachable("certd")) {
    report.Skip("certs", "certd is not reachable: certificates not checked",
                env.StartHint("certd"));
    return;
  }
  Context ctx(env, report);
  if (auto config = certd::LoadCertdConfig(env.layout)) ctx.config = std::move(*config);
  if (auto config = identityd::LoadIdentitydConfig(env.layout)) {
    ctx.device_cert = config->device_cert;
    ctx.edge_ca_cert = config->edge_ca_cert;
  }
  if (auto config = keyd::LoadKeydConfig(env.layout)) ctx.preloaded_keys = config->preloaded_keys;
  if (env.Reachable("keyd")) ctx.keyd.emplace(env.layout.Socket("keyd"));
  certd::CertdClient certd(env.layout.Socket("certd"));
  auto list = certd.List();
  if (!list) {
    report.Fail("certs", "certd does not list its certificates: " + list.error().message,
                "run edgectl check as root, or see certd's log");
    return;
  }
  if (auto creds = certd.ListCredentials())
    for (auto& c : *creds) ctx.creds[c.cert_id] = std::move(c);
  std::vector<Served> served;
  for (auto& summary : *list) {
    auto info = certd.GetInfo(summary.cert_id);
    auto chain = info ? edgesec::x509::ParsePemChain(info->pem) : Expected<Chain>(info.error());
    if (!chain || chain->empty()) {
      report.Fail("cert-validity:" + summary.cert_id,
                  "cert '" + summary.cert_id + "' cannot be read from certd: " +
                      (chain ? std::string("empty chain") : chain.error().message),
                  "see certd's log; import the cert again: edgectl cert import " + summary.cert_id +
                      " FILE");
      continue;
    }
    for (const auto& c : *chain) ctx.pool.push_back(Ref(c.get()));
    served.push_back({std::move(summary), std::move(*chain), std::move(info->revocation)});
  }
  LoadAnchors(ctx);
  if (served.empty() && ctx.creds.empty()) report.Pass("certs", "certd serves no certificates");
  for (const auto& s : served) {
    bool valid = CheckValidity(ctx, s);
    CheckChain(ctx, s);
    CheckKey(ctx, s);
    CheckRenewal(ctx, s.summary.cert_id, valid);
    CheckRevocation(report, s.summary.cert_id, s.summary.lifecycle.status, s.revocation,
                    RevokedHint(ctx, s));
  }
  CheckMissing(ctx, served);
}

}  // namespace edgesec::cli::check

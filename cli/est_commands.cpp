// edgectl cert enroll|reenroll (through certd) and est cacerts|csrattrs (the EST library, in
// edgectl).
#include <openssl/objects.h>

#include <cstdio>
#include <ctime>

#include "certd/est/est_client.hpp"
#include "certd/est/est_factory.hpp"
#include "common/x509/details.hpp"
#include "cli/cert_commands.hpp"
#include "config/certd/config.hpp"

namespace edgesec::cli {
namespace {

// Subject, issuer and expiry of the leaf of `pem`, for the answer of enroll and reenroll.
int PrintIssued(Context& ctx, const std::string& id, const std::string& pem,
                const std::string& verb) {
  auto chain = edgesec::x509::ParsePemChain(pem);
  if (!chain) return Fail("cert '" + id + "': certd answered with " + chain.error().message);
  auto d = edgesec::x509::Describe(chain->front().get(), std::time(nullptr));
  if (!d) return Fail("cert '" + id + "': " + d.error().message);
  Json j{{"certId", id},        {"subject", d->subject},
         {"issuer", d->issuer}, {"notAfter", edgesec::x509::Rfc3339(d->not_after)},
         {"sha256", d->sha256}, {"chainLength", chain->size()},
         {"pem", pem}};
  ctx.Print(j, verb + " cert '" + id + "'\n  subject:   " + d->subject + "\n  issuer:    " +
                   d->issuer + "\n  not after: " + edgesec::x509::Rfc3339(d->not_after) +
                   "\n  sha256:    " + d->sha256 + "\n");
  return kOk;
}

// certd may poll an EST server's 202 answers for up to the credential's max_wait (GET
// /credentials/{id} says how long: maxWait): the request waits that long on top of --timeout.
certd::CertdClient PatientClient(const Context& ctx, const std::string& id) {
  long extra_ms = 0;
  if (auto st = CertdClientFor(ctx).GetCredential(id); st) extra_ms = st->max_wait_seconds * 1000;
  return certd::CertdClient(ctx.layout.Socket("certd"), ctx.timeout_ms + extra_ms);
}

// A request certd got and did not answer in time is not a failure: certd goes on with it (exit 3).
int FailOrPending(const std::string& doing, const std::string& id, const Error& e) {
  if (e.reason != ErrorReason::kNoAnswer) return Fail(doing + " cert '" + id + "': " + e.message);
  std::fprintf(stderr,
               "edgectl: %s cert '%s': still pending (%s); certd goes on with it: see `edgectl "
               "cert list` for the outcome\n",
               doing.c_str(), id.c_str(), e.message.c_str());
  return kPending;
}

int Enroll(Context& ctx) {
  const std::string& id = ctx.args[0];
  certd::api::CreateCertRequest req;
  req.cert_id = id;
  auto pem = PatientClient(ctx, id).Issue(req);
  if (!pem) return FailOrPending("enrolling", id, pem.error());
  return PrintIssued(ctx, id, *pem, "enrolled");
}

// cert reenroll (EST) and cert renew (any issuing method): the same route, answered once the new
// cert is committed.
int RenewWith(Context& ctx, const char* command, const char* doing, const char* done) {
  const std::string& id = ctx.args[0];
  if (ctx.Has("--keep-key") && ctx.Has("--rotate-key")) {
    std::fprintf(stderr, "edgectl cert %s: give --keep-key or --rotate-key, not both\n", command);
    return kUsage;
  }
  std::optional<bool> rotate;
  if (ctx.Has("--keep-key")) rotate = false;
  if (ctx.Has("--rotate-key")) rotate = true;
  std::string reason = ctx.Option("--reason", "");
  if (!reason.empty() && !certd::api::IsRenewReason(reason)) {
    std::fprintf(stderr,
                 "edgectl cert %s: --reason must be manual, revoked, key-compromise or "
                 "source-changed, not '%s'\n",
                 command, reason.c_str());
    return kUsage;
  }
  if (reason == "key-compromise" && ctx.Has("--keep-key")) {
    std::fprintf(stderr,
                 "edgectl cert %s: --reason key-compromise always uses a new key; drop "
                 "--keep-key\n",
                 command);
    return kUsage;
  }
  auto pem = PatientClient(ctx, id).Renew(id, rotate, false, reason);
  if (!pem) return FailOrPending(doing, id, pem.error());
  return PrintIssued(ctx, id, *pem, done);
}

int Reenroll(Context& ctx) {
  return RenewWith(ctx, "reenroll", "re-enrolling", "re-enrolled");
}

int Renew(Context& ctx) {
  return RenewWith(ctx, "renew", "renewing", "renewed");
}

// [est] of certd's config, with the command's --url, --label, --trusted, --username,
// --password-file.
Expected<certd::est::EstClient> ClientFor(const Context& ctx, std::string* url) {
  certd::CertdConfig config = certd::DefaultCertdConfig();
  if (auto loaded = certd::LoadCertdConfig(ctx.layout))
    config = std::move(*loaded);
  else if (!ctx.Has("--url") || !ctx.Has("--trusted"))
    return loaded.error().Context(
        "reading certd's config for the EST defaults (or give --url and --trusted)");
  certd::EstSettings est = config.est;
  if (ctx.Has("--url")) est.url = ctx.Option("--url");
  if (ctx.Has("--label")) est.label = ctx.Option("--label");
  if (ctx.Has("--trusted")) est.trusted_certs = {ctx.Option("--trusted")};
  if (ctx.Has("--username")) {
    est.username = ctx.Option("--username");
    est.password.reset();
    est.password_file = ctx.Option("--password-file");
  }
  if (est.url.empty())
    return InvalidParameter("no EST server: give --url or set [est] url in certd's config");
  if (est.trusted_certs.empty())
    return InvalidParameter(
        "no trust anchors: give --trusted FILE or set [est] trusted_certs in certd's config");
  *url = est.url;
  return certd::est::MakeEstClient(est, nullptr);
}

int CaCerts(Context& ctx) {
  std::string url;
  auto client = ClientFor(ctx, &url);
  if (!client) return Fail(client.error().message);
  auto certs = client->CaCerts();
  if (!certs)
    return Fail("EST /cacerts at '" + client->Url("cacerts") + "': " + certs.error().message);
  Json list = Json::array();
  std::string text;
  for (const auto& c : *certs) {
    auto d = edgesec::x509::Describe(c.get(), std::time(nullptr));
    auto pem = edgesec::x509::ToPem(c.get());
    if (!d || !pem) return Fail("EST /cacerts: a certificate cannot be described");
    list.push_back(Json{{"subject", d->subject},
                        {"issuer", d->issuer},
                        {"notAfter", edgesec::x509::Rfc3339(d->not_after)},
                        {"sha256", d->sha256},
                        {"pem", *pem}});
    text += "# subject: " + d->subject + "\n# issuer:  " + d->issuer + "\n" + *pem;
  }
  ctx.Print(Json{{"url", client->Url("cacerts")}, {"certificates", list}}, text);
  return kOk;
}

std::string OidName(const std::string& dotted) {
  ASN1_OBJECT* o = OBJ_txt2obj(dotted.c_str(), 1);
  int nid = o ? OBJ_obj2nid(o) : NID_undef;
  ASN1_OBJECT_free(o);
  return nid == NID_undef ? dotted : OBJ_nid2sn(nid);
}

int CsrAttrs(Context& ctx) {
  std::string url;
  auto client = ClientFor(ctx, &url);
  if (!client) return Fail(client.error().message);
  auto attrs = client->CsrAttributes();
  if (!attrs)
    return Fail("EST /csrattrs at '" + client->Url("csrattrs") + "': " + attrs.error().message);
  std::string key = !attrs->key_type                   ? ""
                    : *attrs->key_type == EVP_PKEY_RSA ? "RSA " + std::to_string(attrs->rsa_bits)
                                                       : "EC " + attrs->curve;
  Json ext = Json::array(), other = Json::array();
  for (const auto& o : attrs->requested_extension_oids) ext.push_back(OidName(o));
  for (const auto& o : attrs->other_oids) other.push_back(OidName(o));
  Json j{{"url", client->Url("csrattrs")},
         {"challengePassword", attrs->challenge_password},
         {"keyType", key},
         {"digest", attrs->digest},
         {"requestedExtensions", ext},
         {"requestedExtensionValues", attrs->requested_extensions.size()},
         {"otherAttributes", other}};
  std::string text =
      "challengePassword:   " + std::string(attrs->challenge_password ? "yes" : "no") +
      "\nkey type:            " + (key.empty() ? "(no preference)" : key) +
      "\ndigest:              " + (attrs->digest.empty() ? "(no preference)" : attrs->digest) +
      "\nrequested extensions: " + ext.dump() + " (+" +
      std::to_string(attrs->requested_extensions.size()) +
      " with values)\nother attributes:    " + other.dump() + "\n";
  ctx.Print(j, text);
  return kOk;
}

const std::vector<OptionSpec> kEstOptions = {
    {"--url", "URL", "EST server base URL (default: [est] url of certd's config)"},
    {"--label", "LABEL", "CA label (default: [est] label)"},
    {"--trusted", "FILE", "PEM trust anchors for the server (default: [est] trusted_certs)"},
    {"--username", "USER", "HTTP Basic user (default: [est] username)"},
    {"--password-file", "FILE", "HTTP Basic password, first line of FILE"}};

}  // namespace

std::vector<Command> EstCommands() {
  return {
      {{"cert", "enroll"},
       "<cert-id>",
       1,
       1,
       "enroll the cert of an est [[credential]] of certd's config from the EST server (key in "
       "keyd)",
       {},
       &Enroll},
      {{"cert", "reenroll"},
       "<cert-id>",
       1,
       1,
       "re-enroll an est credential's cert now (EST /simplereenroll); exits 0 only once the new "
       "cert is in place, 3 when certd is still at it after --timeout + the EST max_wait",
       {{"--rotate-key", "",
         "use a new key this time (default: the credential's rotate_key, true)"},
        {"--keep-key", "", "keep the current key this time"}},
       &Reenroll},
      {{"cert", "renew"},
       "<cert-id>",
       1,
       1,
       "renew a credential's cert now (EST re-enroll, or local issuance for self_signed and "
       "local_ca); exits 0 only once the new cert is committed, 3 when certd is still at it "
       "after --timeout (+ the EST max_wait)",
       {{"--rotate-key", "",
         "use a new key (versioned key id) this time (default: the credential's rotate_key)"},
        {"--keep-key", "", "keep the current key this time"},
        {"--reason", "REASON",
         "why, recorded in `edgectl cert history`: manual (default), revoked, key-compromise "
         "(always a new key) or source-changed"}},
       &Renew},
      {{"est", "cacerts"},
       "",
       0,
       0,
       "fetch and show the EST server's CA certificates (/cacerts)",
       kEstOptions,
       &CaCerts},
      {{"est", "csrattrs"},
       "",
       0,
       0,
       "show what the EST server asks for in CSRs (/csrattrs)",
       kEstOptions,
       &CsrAttrs},
  };
}

}  // namespace edgesec::cli

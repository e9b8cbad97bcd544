// edgectl cert list|show|issue|delete (cert import: cert_import.cpp)
#include "cli/cert_commands.hpp"

#include <cstdio>
#include <ctime>
#include <map>

#include "certd/client/certd_client.hpp"
#include "common/fs.hpp"
#include "common/x509/details.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::cli {

certd::CertdClient CertdClientFor(const Context& ctx) {
  return certd::CertdClient(ctx.layout.Socket("certd"), ctx.timeout_ms);
}

namespace {

const char* Or(const std::string& s) {
  return s.empty() ? "-" : s.c_str();
}

// Certificates with the renewal state of their credentials; credentials without a cert yet too.
int List(Context& ctx) {
  auto client = CertdClientFor(ctx);
  auto certs = client.List();
  if (!certs) return Fail("listing certificates: " + certs.error().message);
  std::map<std::string, certd::api::CredentialStatus> creds;
  if (auto list = client.ListCredentials())
    for (auto& c : *list) creds[c.cert_id] = std::move(c);
  auto renewal_json = [](Json& j, const certd::api::CredentialStatus& c) {
    Json st = c.ToJson();
    for (const char* k :
         {"method", "autoRenew", "state", "nextRenewal", "lastAttempt", "attempts", "lastError"})
      j[k] = st[k];
  };
  Json j = Json::array();
  std::string text, errors;
  char line[768];
  std::snprintf(line, sizeof line, "%-24s %-8s %-20s %-5s %-9s %-20s %-20s %-32s %s\n", "CERT ID",
                "STATUS", "TYPE", "LEVEL", "STATE", "NOT AFTER", "NEXT RENEWAL", "SUBJECT",
                "SHA-256");
  text += line;
  auto note_error = [&](const certd::api::CredentialStatus& c) {
    if (!c.last_error.empty())
      errors += "  " + c.cert_id + ": " +
                (c.attempts > 0 ? "renewal failed " + std::to_string(c.attempts) +
                                      " time(s), last at " + c.last_attempt + ": "
                                : std::string()) +
                c.last_error + "\n";
  };
  for (const auto& c : *certs) {
    Json e = c.ToJson();
    std::string state = "-", next = "-";
    if (auto it = creds.find(c.cert_id); it != creds.end()) {
      renewal_json(e, it->second);
      state = it->second.state;
      next = it->second.next_renewal.empty() ? "never" : it->second.next_renewal;
      note_error(it->second);
    }
    j.push_back(std::move(e));
    std::string level = c.lifecycle.level ? std::to_string(*c.lifecycle.level) : "-";
    std::snprintf(line, sizeof line, "%-24s %-8s %-20s %-5s %-9s %-20s %-20s %-32s %s%s\n",
                  c.cert_id.c_str(), Or(c.lifecycle.status), Or(c.lifecycle.type), level.c_str(),
                  state.c_str(), c.not_after.c_str(), next.c_str(), c.subject.c_str(),
                  c.sha256.substr(0, 23).c_str(), c.preloaded ? " (preloaded)" : "");
    text += line;
  }
  for (const auto& [id, c] : creds) {
    bool listed = false;
    for (const auto& cert : *certs) listed = listed || cert.cert_id == id;
    if (listed) continue;
    Json e{{"certId", id}, {"keyId", c.key_id}};
    renewal_json(e, c);
    j.push_back(std::move(e));
    std::string next = c.next_renewal.empty() ? "never" : c.next_renewal;
    std::snprintf(line, sizeof line, "%-24s %-8s %-20s %-5s %-9s %-20s %-20s %-32s %s\n",
                  id.c_str(), "-", "-", "-", c.state.c_str(), "-", next.c_str(), "-", "-");
    text += line;
    note_error(c);
  }
  if (!errors.empty()) text += "\nrenewal errors:\n" + errors;
  ctx.Print(Json{{"certificates", j}}, text);
  return kOk;
}

// The cert's key id (from its credential) and the keyd engine holding that key; left empty when
// certd names no key or keyd cannot tell (show still works without keyd).
void FillKeyEngine(Context& ctx, certd::CertdClient& client, const std::string& id,
                   edgesec::x509::Details* d) {
  if (auto certs = client.List())
    for (const auto& c : *certs)
      if (c.cert_id == id) d->key_id = c.key_id;
  if (d->key_id.empty()) return;
  keyd::KeydClient keyd(ctx.layout.Socket("keyd"));
  auto handle = keyd.GetKeyPair(d->key_id);
  if (!handle) return;
  if (auto engine = keyd.GetParameter(*handle, "engine")) d->engine = *engine;
}

std::string RevocationText(const certd::api::RevocationInfo& r) {
  std::string text = "revocation:  " + r.state + (r.stale ? " (stale)" : "") + " by " +
                     Or(r.source) + ", checked " + Or(r.checked_at) + ", next update " +
                     Or(r.next_update) + "\n";
  if (!r.last_error.empty()) text += "             last error: " + r.last_error + "\n";
  return text;
}

std::string RevocationText(const std::optional<certd::api::RevocationInfo>& r) {
  return r ? RevocationText(*r) : "revocation:  - (no CRL distribution point, or not checked)\n";
}

int Show(Context& ctx) {
  const std::string& id = ctx.args[0];
  auto client = CertdClientFor(ctx);
  auto info = client.GetInfo(id);
  if (!info) return Fail(info.error().message);
  const std::string* pem = &info->pem;
  auto chain = edgesec::x509::ParsePemChain(*pem);
  if (!chain) return Fail("cert '" + id + "': " + chain.error().message);
  auto d = edgesec::x509::Describe(chain->front().get(), std::time(nullptr));
  if (!d) return Fail("cert '" + id + "': " + d.error().message);
  FillKeyEngine(ctx, client, id, &*d);
  Json j = edgesec::x509::DetailsJson(*d);
  j["certId"] = id;
  j["chainLength"] = chain->size();
  j["pem"] = *pem;
  const auto& l = info->lifecycle;
  l.AddTo(j);
  if (info->revocation) j["revocation"] = info->revocation->ToJson();
  std::string level = !l.level        ? "-"
                      : *l.level == 0 ? "0 (root)"
                      : *l.level == 1 ? "1 (intermediate)"
                                      : std::to_string(*l.level) + " (issuing)";
  ctx.Print(j, "cert id:     " + id + "\n" + edgesec::x509::DetailsText(*d) +
                   "chain:       " + std::to_string(chain->size()) + " certificate(s)\n" +
                   "status:      " + Or(l.status) + "\ntype:        " + Or(l.type) +
                   "\nCA level:    " + level + "\n" + RevocationText(info->revocation));
  return kOk;
}

// POST /certificates/{id}/revocation-check: certd fetches the cert's CRLs now.
int CheckRevocationNow(Context& ctx) {
  const std::string& id = ctx.args[0];
  auto info = CertdClientFor(ctx).CheckRevocation(id);
  if (!info) return Fail("revocation check of cert '" + id + "': " + info.error().message);
  if (!info->revocation)
    return Fail("cert '" + id +
                "' names no CRL distribution point (or revocation checking is off in certd's "
                "[revocation])");
  const auto& r = *info->revocation;
  ctx.Print(
      Json{{"certId", id}, {"status", info->lifecycle.status}, {"revocation", r.ToJson()}},
      "cert id:     " + id + "\nstatus:      " + info->lifecycle.status + "\n" + RevocationText(r));
  return r.state == "good" && !r.stale ? kOk : kFailure;
}

// Every generation of the cert, oldest first (GET /certificates/{id}/history).
int History(Context& ctx) {
  const std::string& id = ctx.args[0];
  auto h = CertdClientFor(ctx).History(id);
  if (!h) return Fail("history of cert '" + id + "': " + h.error().message);
  Json list = Json::array();
  std::string text = "cert id: " + id + "\n";
  if (h->dropped > 0)
    text += std::to_string(h->dropped) + " generation(s) after the first were dropped (cap " +
            std::to_string(1000) + ")\n";
  for (const auto& g : h->generations) {
    list.push_back(g.ToJson());
    text += "\ngeneration " + std::to_string(g.generation) + " (" + g.status + ")\n" +
            "  reason:      " + g.reason +
            (g.synthesized ? " (synthesized from the stored cert)" : "") +
            "\n  origin:      " + g.origin + "\n  reissued at: " + g.reissued_at +
            "\n  serial:      " + g.serial + "\n  SHA-256:     " + g.sha256 +
            "\n  key id:      " + (g.key_id.empty() ? "-" : g.key_id) +
            "\n  validity:    " + g.not_before + " .. " + g.not_after + "\n";
    if (!g.from_sha256.empty())
      text +=
          "  reissued from serial " + g.from_serial + " (" + g.from_sha256.substr(0, 23) + "…)\n";
    if (!g.revoked_at.empty())
      text += "  revoked:     " + g.revoked_at + " (" + g.revocation_reason + ")\n";
  }
  ctx.Print(Json{{"certId", id}, {"dropped", h->dropped}, {"generations", list}}, text);
  return kOk;
}

int Issue(Context& ctx) {
  const std::string& id = ctx.args[0];
  if (!ctx.Has("--csr")) {
    std::fprintf(stderr, "edgectl cert issue: --csr FILE is required; see --help\n");
    return kUsage;
  }
  if (ctx.Has("--issuer-cert") != ctx.Has("--issuer-key")) {
    std::fprintf(stderr,
                 "edgectl cert issue: give both --issuer-cert and --issuer-key, or neither\n");
    return kUsage;
  }
  auto csr = fs::ReadFile(ctx.Option("--csr"));
  if (!csr) return Fail("reading '" + ctx.Option("--csr") + "': " + csr.error().Describe());
  certd::api::CreateCertRequest req;
  req.cert_id = id;
  req.csr = *csr;
  if (ctx.Has("--profile")) req.profile = ctx.Option("--profile");
  if (ctx.Has("--issuer-cert")) {
    keyd::KeydClient keyd(ctx.layout.Socket("keyd"));
    auto handle = keyd.GetKeyPair(ctx.Option("--issuer-key"));
    if (!handle)
      return Fail("issuer key '" + ctx.Option("--issuer-key") + "': " + handle.error().message);
    req.issuer = certd::api::Issuer{ctx.Option("--issuer-cert"), *handle};
  }
  auto pem = CertdClientFor(ctx).Issue(req);
  if (!pem) return Fail("issuing cert '" + id + "': " + pem.error().message);
  ctx.Print({{"certId", id}, {"pem", *pem}}, *pem);
  return kOk;
}

int Delete(Context& ctx) {
  const std::string& id = ctx.args[0];
  auto client = CertdClientFor(ctx);
  bool preloaded = false;
  if (auto certs = client.List())
    for (const auto& c : *certs) preloaded = preloaded || (c.cert_id == id && c.preloaded);
  // certd refuses (400) to delete a preloaded cert; a stored cert that overrode one is deleted.
  if (auto st = client.Delete(id); !st)
    return Fail("deleting cert '" + id + "': " + st.error().message);
  std::string note =
      preloaded ? "cert '" + id + "' deleted; the preloaded file of certd's config is served again"
                : "cert '" + id + "' deleted";
  ctx.Print({{"certId", id}, {"deleted", true}, {"preloaded", preloaded}}, note);
  return kOk;
}

}  // namespace

std::vector<Command> CertCommands() {
  return {
      {{"cert", "list"},
       "",
       0,
       0,
       "list the certificates you may use, with SHA-256 fingerprints and the renewal state of "
       "credentials (state, next renewal, last error)",
       {},
       &List},
      {{"cert", "show"},
       "<cert-id>",
       1,
       1,
       "show a certificate's subject, issuer, SANs, validity, fingerprint and key",
       {},
       &Show},
      {{"cert", "history"},
       "<cert-id>",
       1,
       1,
       "list every generation of a certificate, oldest first (first issuance included): serial, "
       "SHA-256, key id, validity, why it was made (reason) and when",
       {},
       &History},
      {{"cert", "check-revocation"},
       "<cert-id>",
       1,
       1,
       "fetch the cert's CRLs now and show its revocation state (exit 1 when revoked, stale or "
       "unknown)",
       {},
       &CheckRevocationNow},
      {{"cert", "import"},
       "<cert-id> <file>",
       2,
       2,
       "import a certificate (PEM, DER or PKCS#12); its private key, if any, goes to keyd",
       {{"--password", "PASSWORD", "password of a PKCS#12 file or an encrypted PEM key"},
        {"--password-file", "FILE", "read that password from FILE (first line)"},
        {"--key-id", "KEY-ID", "keyd key id for the private key (default: the cert id)"}},
       &CertImport},
      {{"cert", "issue"},
       "<cert-id>",
       1,
       1,
       "issue a certificate from a CSR, signed by an issuer whose key is in keyd (or by the "
       "credential's method)",
       {{"--csr", "FILE", "the PEM certificate request"},
        {"--issuer-cert", "CERT-ID", "cert id of the issuing CA"},
        {"--issuer-key", "KEY-ID", "keyd key id of the issuing CA's key"},
        {"--profile", "NAME", "issuance profile of certd's config (default: 'default')"}},
       &Issue},
      {{"cert", "delete"},
       "<cert-id>",
       1,
       1,
       "delete a stored certificate (preloaded files are left alone)",
       {},
       &Delete},
  };
}

}  // namespace edgesec::cli

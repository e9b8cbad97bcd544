// The services work together, tried for real: certd issues from the Edge CA (POST /certificates
// with store:false, for a throwaway CSR: certd signs with keyd's Edge CA key as certd's user), and
// identityd serves the device identity (GET /identities/identity: certd's cert and keyd's key, as
// identityd's user). A service answering 401 to another is named as the pair (caller → callee)
// with the principal that is missing. Nothing is stored: store:false issues and returns.
#include <unistd.h>

#include <regex>

#include "certd/client/certd_client.hpp"
#include "cli/check/check.hpp"
#include "common/fs.hpp"
#include "common/x509/csr.hpp"
#include "common/x509/keygen.hpp"
#include "common/x509/pem.hpp"
#include "common/x509/time.hpp"
#include "config/certd/config.hpp"
#include "config/identityd/config.hpp"
#include "daemon/client/identityd_client.hpp"

namespace edgesec::cli::check {
namespace {

std::string ApplyCommand(const Env& env) {
  (void)env;
  return "edgectl config apply";
}

// "user N is not authorized to ACTION key|cert 'ID'" in an error: the caller service (by uid),
// the callee (key → keyd, cert → certd) and the principal it lacks. Empty when it is not a 401
// between two services (or this user's own 401).
std::string DeniedPair(const Env& env, const std::string& error, const std::string& via,
                       std::string* hint) {
  static const std::regex kDenied(
      R"(user ([0-9]+) is not authorized to ([a-z]+) (key|cert) '([^']*)')");
  std::smatch m;
  if (!std::regex_search(error, m, kDenied)) return {};
  uid_t uid = static_cast<uid_t>(std::stoul(m[1].str()));
  std::string callee = m[3].str() == "key" ? "keyd" : "certd";
  std::string caller;
  for (const char* svc : {"certd", "identityd", "keyd"}) {
    ServiceUser u = env.UserOf(svc);
    if (u.exists && u.uid == uid && svc != callee) caller = svc;
  }
  if (uid == ::geteuid()) return {};
  if (caller.empty()) caller = via;  // under --root every service is this user, unless run apart
  std::string glob = m[3].str() == "key" ? "keys" : "certs";
  std::string file = env.layout.ServiceConfigDir(callee) + "/50-principals.toml";
  if (fs::Exists(env.layout.etc() + "/config.toml"))
    *hint = "write the principals the services need for each other (apply reloads them): " +
            ApplyCommand(env);
  else
    *hint = "give " + caller + " its principal: mkdir -p '" + fs::DirName(file) +
            "' && printf '[[principal]]\\nuid = " + m[1].str() + "\\n" + glob + " = [\"" +
            m[4].str() + "*\"]\\n' >> '" + file + "' && " + env.ReloadHint(callee);
  return callee + " refuses " + caller + " (uid " + m[1].str() + "): " + m[0].str();
}

// A throwaway CSR: a fresh P-256 key, CN edgectl-check.
Expected<std::string> ProbeCsr() {
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr key, x509::GenerateKey("ec-p256"));
  x509::CsrSpec spec;
  spec.subject = {{"CN", "edgectl-check"}};
  spec.key = key.get();
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr req, x509::BuildCsr(spec));
  return x509::CsrToPem(req.get());
}

void CheckEdgeCaIssues(Env& env, Report& report, const std::string& edge_ca) {
  std::string id = "edge-ca-issue:" + edge_ca;
  auto csr = ProbeCsr();
  if (!csr) {
    report.Skip(id, "no CSR to try the Edge CA with: " + csr.error().message);
    return;
  }
  certd::api::CreateCertRequest request;
  request.cert_id = "edgectl-check";
  request.csr = *csr;
  request.issuer = certd::api::Issuer{edge_ca, ""};
  request.not_after = x509::Rfc3339(env.now + 3600);
  request.store = false;
  certd::CertdClient certd(env.layout.Socket("certd"));
  auto issued = certd.Issue(request);
  if (issued) {
    report.Pass(id, "the Edge CA '" + edge_ca + "' issues (a probe cert, not stored)");
    return;
  }
  const std::string& why = issued.error().message;
  std::string hint;
  if (std::string pair = DeniedPair(env, why, "certd", &hint); !pair.empty()) {
    report.Fail(id, "the Edge CA '" + edge_ca + "' cannot issue: " + pair, hint);
    return;
  }
  if (issued.error().kind == ErrorKind::kUnauthorized) {
    report.Skip(id, "this user may not issue from '" + edge_ca + "': " + why,
                "run edgectl check as root");
    return;
  }
  auto certd_config = certd::LoadCertdConfig(env.layout);
  if (certd_config && certd_config->preloaded_certs.count(edge_ca) &&
      !certd_config->credentials.count(edge_ca)) {
    report.Fail(id, "the Edge CA '" + edge_ca + "' cannot issue: " + why,
                "give certd a CA it can issue with in place of '" +
                    certd_config->preloaded_certs.at(edge_ca) +
                    "' (CA:TRUE, keyCertSign, a subjectKeyIdentifier) and its key, then " +
                    env.RestartHint("certd"));
    return;
  }
  report.Fail(id, "the Edge CA '" + edge_ca + "' cannot issue: " + why,
              "see the cert-*:" + edge_ca +
                  " lines above and certd's log; to issue it anew: "
                  "edgectl cert renew " +
                  edge_ca);
}

void CheckDeviceIdentity(Env& env, Report& report, const identityd::IdentitydConfig& config) {
  if (config.device_cert.empty()) {
    auto super = fs::ReadFile(env.layout.etc() + "/config.toml");
    if (super && super->find("[provisioning") != std::string::npos)
      report.Fail("device-identity",
                  "config.toml provisions a device identity, but identityd's config names none",
                  "apply the config: " + ApplyCommand(env));
    else
      report.Skip("device-identity", "no device identity is configured");
    return;
  }
  identityd::IdentitydClient identityd(env.layout.Socket("identityd"));
  auto identity = identityd.Identity();
  if (identity) {
    report.Pass("device-identity",
                "identityd serves the device identity '" + config.device_cert + "' (cert and key)");
    return;
  }
  const std::string& why = identity.error().message;
  std::string hint;
  if (std::string pair = DeniedPair(env, why, "identityd", &hint); !pair.empty()) {
    report.Fail("device-identity", "the device identity cannot be served: " + pair, hint);
    return;
  }
  report.Fail("device-identity",
              "the device identity '" + config.device_cert + "' is missing: " + why,
              "see the cert-*:" + config.device_cert +
                  " lines above; to issue or enroll it "
                  "anew: edgectl cert renew " +
                  config.device_cert);
}

}  // namespace

void CheckIssuance(Env& env, Report& report) {
  auto config = identityd::LoadIdentitydConfig(env.layout);
  if (!config) return;  // the config check failed already
  // Both probes go through keyd too: with a service down they would only repeat its failure
  // (after the client's timeout) under misleading hints.
  if (!env.Reachable("keyd") || !env.Reachable("certd") || !env.Reachable("identityd")) {
    report.Skip("edge-ca-issue",
                "keyd, certd or identityd does not answer (see service-*): issuance not tried");
    return;
  }
  if (!config->edge_ca_cert.empty()) CheckEdgeCaIssues(env, report, config->edge_ca_cert);
  CheckDeviceIdentity(env, report, *config);
}

}  // namespace edgesec::cli::check

// edgectl check: the revocation state certd found for its certs (docs/certd.md, "Revocation"):
// a revoked cert fails, stale or unknown revocation information warns, good passes. Certs that
// name no CRL distribution point or OCSP responder are not mentioned.
#include "certd/client/certd_client.hpp"
#include "cli/check/check.hpp"

namespace edgesec::cli::check {

void CheckRevocation(Env& env, Report& report) {
  if (!env.Reachable("certd")) return;  // CheckCerts says so
  certd::CertdClient certd(env.layout.Socket("certd"));
  auto list = certd.List();
  if (!list) return;  // CheckCerts says so
  for (const auto& summary : *list) {
    const std::string& id = summary.cert_id;
    auto info = certd.GetInfo(id);
    if (!info || !info->revocation) continue;
    const certd::api::RevocationInfo& r = *info->revocation;
    const std::string key = "cert-revocation:" + id;
    const std::string by = r.source == "ocsp" ? "its OCSP responder" : "its issuer's CRL";
    if (r.state == "revoked") {
      report.Fail(key, "cert '" + id + "' is revoked according to " + by,
                  "replace it: edgectl cert renew " + id +
                      " (a credential; certd does it by itself unless auto_renew = false), or "
                      "import a new cert: edgectl cert import " +
                      id + " FILE");
    } else if (r.stale) {
      report.Warn(key,
                  "cert '" + id + "': the revocation information is stale (nextUpdate " +
                      (r.next_update.empty() ? std::string("unknown") : r.next_update) + ")" +
                      (r.last_error.empty() ? "" : ": " + r.last_error),
                  "check that certd reaches the CRL distribution point / OCSP responder");
    } else if (r.state != "good") {
      report.Warn(key,
                  "cert '" + id + "': revocation not known yet" +
                      (r.last_error.empty() ? "" : ": " + r.last_error),
                  "check that certd reaches the CRL distribution point / OCSP responder");
    } else {
      report.Pass(key, "cert '" + id + "' is not revoked according to " + by);
    }
  }
}

}  // namespace edgesec::cli::check

// A cert's revocation state as certd last established it (docs/certd.md, "Revocation"): revoked
// fails; a stale answer (the last good CRL past its nextUpdate, no fresh one to be had) or none at
// all warns — the cert may have been revoked meanwhile — with the command that fetches again.
#include "cli/check/check.hpp"

namespace edgesec::cli::check {
namespace {

std::string Source(const std::string& source) {
  return source == "ocsp" ? "its OCSP responder" : "its issuer's CRL";
}

}  // namespace

void CheckRevocation(Report& report, const std::string& id, const std::string& status,
                     const std::optional<certd::api::RevocationInfo>& revocation,
                     const std::string& revoked_hint) {
  std::string key = "cert-revocation:" + id;
  if (status == "revoked" || (revocation && revocation->state == "revoked")) {
    std::string by = revocation && !revocation->source.empty()
                         ? " according to " + Source(revocation->source) + " (checked " +
                               revocation->checked_at + ")"
                         : "";
    report.Fail(key, "cert '" + id + "' is revoked" + by, revoked_hint);
    return;
  }
  if (!revocation) return;  // no CRL distribution point, or checking is off: nothing to say
  const auto& r = *revocation;
  std::string again =
      "make its CRL distribution point (or OCSP responder) reachable from this "
      "device, then fetch it now: edgectl cert check-revocation " +
      id;
  std::string error = r.last_error.empty() ? "" : "; last error: " + r.last_error;
  if (r.stale) {
    report.Warn(key,
                "revocation state of cert '" + id + "' is stale: the last good answer of " +
                    Source(r.source) + " was due for an update at " + r.next_update +
                    " and no fresh one could be fetched" + error,
                again);
    return;
  }
  if (r.state != "good" && r.last_error.find("issuer") != std::string::npos) {
    report.Warn(key, "revocation state of cert '" + id + "' cannot be checked: " + r.last_error,
                "store the cert with its issuer's certificate in its chain (edgectl cert import " +
                    id + " FILE), so that certd can verify the issuer's CRL");
    return;
  }
  if (r.state != "good") {
    report.Warn(key,
                "revocation state of cert '" + id +
                    "' is unknown: no CRL or OCSP answer has counted yet" + error,
                again);
    return;
  }
  report.Pass(key, "cert '" + id + "' is not revoked according to " + Source(r.source) +
                       " (checked " + r.checked_at +
                       (r.next_update.empty() ? "" : ", next update " + r.next_update) + ")");
}

}  // namespace edgesec::cli::check

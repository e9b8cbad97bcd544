// certd's audit events (docs/audit.md): posted to keyd's audit log through the keyd client, never
// failing the operation they record (keyd/client/audit_report.hpp).
#include "certd/server/service.hpp"
#include "keyd/client/audit_report.hpp"

namespace edgesec::certd {

void CertService::Audit(const Json& event) const {
  keyd::ReportAudit(*Keyd(), event, "certd");
}

Expected<std::string> CertService::AuditedRenewal(
    const std::string& id, const std::function<Expected<std::string>()>& renew) {
  auto before = store_->Get(id);
  const bool had = before && before->has_value();
  const std::string key_before = had ? (*before)->key_id : std::string();
  const char* event = had ? "cert.renew" : "cert.issue";
  Expected<std::string> pem = renew();
  if (!pem) {
    Audit(keyd::FailedEvent("certd", event, id, pem.error().message));
    return pem;
  }
  Json e = keyd::CertEvent("certd", event, id, *pem);
  if (auto after = store_->Get(id); after && *after && !(*after)->key_id.empty()) {
    e["keyId"] = (*after)->key_id;
    // A renewal onto a new key (rotate_key) is a rollover.
    if (had && !key_before.empty() && key_before != (*after)->key_id) e["event"] = "cert.rollover";
  }
  Audit(e);
  return pem;
}

}  // namespace edgesec::certd

#pragma once
// Reporting an event to keyd's audit log (POST /audit, docs/audit.md) from certd, identityd and
// edgectl. Reporting never fails the operation it records: the event was done, the audit post is
// best effort. It is not retried (keyd down means keyd's socket answers nothing; a retry would
// only delay the operation); the first failure of a run of failures is logged at warning, and the
// next success is noted.

#include <string>

#include "common/json.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::keyd {

// `event`: {"service", "event", "outcome", …} as POST /audit takes it. `who` prefixes log lines.
void ReportAudit(KeydClient& keyd, const Json& event, const std::string& who);

// A cert event: `event` ("cert.issue", …) of cert `id` with the leaf's serial and SHA-256
// fingerprint when `pem` parses (never the PEM itself), or a failure with `error`.
Json CertEvent(const std::string& service, const std::string& event, const std::string& id,
               const std::string& pem);
Json FailedEvent(const std::string& service, const std::string& event, const std::string& id,
                 const std::string& error);

}  // namespace edgesec::keyd

#pragma once
// POST /audit on keyd.sock (an edgesec addition, docs/keyd.md and docs/audit.md): certd,
// identityd and edgectl report their events; keyd writes them with the caller's peer uid.

#include <memory>

#include "common/http/router.hpp"
#include "keyd/server/audit/auditor.hpp"

namespace edgesec::keyd::audit {

// The api-version POST /audit needs (the keys API's latest).
void AddAuditRoute(http::Router& router, std::shared_ptr<Auditor> auditor);

}  // namespace edgesec::keyd::audit

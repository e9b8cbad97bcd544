#include "keyd/server/audit/audit_route.hpp"

#include <array>

#include "common/audit/format.hpp"
#include "common/ids.hpp"
#include "keyd/api/keys_api.hpp"

namespace edgesec::keyd::audit {
namespace {

namespace fmt = edgesec::audit;

enum class Kind { kText, kId, kHex, kSha256 };
struct FieldRule {
  const char* name;
  Kind kind;
};
// The optional fields of a posted event, in the order they are written.
constexpr std::array<FieldRule, 5> kOptional = {{{"object", Kind::kId},
                                                 {"keyId", Kind::kId},
                                                 {"serial", Kind::kHex},
                                                 {"fingerprint", Kind::kSha256},
                                                 {"sha256", Kind::kSha256}}};

Error Bad(const std::string& field, const std::string& what) {
  return InvalidParameter("parameter '" + field + "' " + what);
}

bool IsHex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

Status CheckValue(const std::string& name, Kind kind, const Json& v) {
  if (!v.is_string()) return Bad(name, "must be a string");
  const std::string s = v.get<std::string>();
  switch (kind) {
    case Kind::kText:
      if (s.empty() || !fmt::IsCleanText(s))
        return Bad(name, "must be 1 to 256 bytes without control characters");
      return {};
    case Kind::kId:
      if (s.empty() || !fmt::IsCleanText(s) || s.find_first_of(" \"\\") != std::string::npos)
        return Bad(name,
                   "must be an id of 1 to 256 bytes (no spaces, quotes or control "
                   "characters)");
      return {};
    case Kind::kHex:
      if (!IsHex(s) || s.size() > 128) return Bad(name, "must be 1 to 128 hex digits");
      return {};
    case Kind::kSha256:
      if (!IsHex(s) || s.size() != 64) return Bad(name, "must be 64 hex digits (a SHA-256)");
      return {};
  }
  return {};
}

// The body as a record's fields after `caller`; nothing is written when it fails.
Expected<Record> Validate(const Json& body) {
  for (const auto& [k, v] : body.items()) {
    bool known = k == "service" || k == "event" || k == "outcome" || k == "reason";
    for (const FieldRule& f : kOptional) known = known || k == f.name;
    if (!known) return Bad(k, "is not a field of an audit event");
  }
  auto required = [&](const char* name) -> Expected<std::string> {
    auto it = body.find(name);
    if (it == body.end()) return Bad(name, "is missing");
    if (!it->is_string()) return Bad(name, "must be a string");
    return it->get<std::string>();
  };
  EDGESEC_ASSIGN_OR_RETURN(std::string service, required("service"));
  if (!fmt::IsReportingService(service))
    return Bad("service", "must be certd, identityd or edgectl");
  EDGESEC_ASSIGN_OR_RETURN(std::string event, required("event"));
  if (!fmt::IsPostableEvent(event))
    return Bad("event", "must be one of " + fmt::PostableEventList());
  EDGESEC_ASSIGN_OR_RETURN(std::string outcome, required("outcome"));
  if (outcome != "success" && outcome != "failure")
    return Bad("outcome", "must be 'success' or 'failure'");
  Record r{{"service", service}, {"event", event}};
  for (const FieldRule& f : kOptional)
    if (auto it = body.find(f.name); it != body.end()) {
      EDGESEC_TRY(CheckValue(f.name, f.kind, *it));
      r[f.name] = *it;
    }
  r["outcome"] = outcome;
  if (auto it = body.find("reason"); it != body.end()) {
    EDGESEC_TRY(CheckValue("reason", Kind::kText, *it));
    r["reason"] = *it;
  }
  return r;
}

}  // namespace

Status Auditor::Post(uid_t caller, const Json& body) {
  EDGESEC_ASSIGN_OR_RETURN(Record fields, Validate(body));
  if (!log_) return Internal("the audit log is off (see keyd's log)");
  Record r = Base(fields["service"].get<std::string>().c_str(),
                  fields["event"].get<std::string>().c_str(), caller);
  for (const auto& [k, v] : fields.items())
    if (k != "service" && k != "event") r[k] = v;
  if (!Write({std::move(r)})) return Internal("the audit log cannot be written (see keyd's log)");
  return {};
}

void AddAuditRoute(http::Router& router, std::shared_ptr<Auditor> auditor) {
  router.Add("POST", "/audit", api::kVersionLatest,
             [auditor](const http::Call& call) -> Expected<http::Reply> {
               const uid_t uid = call.request.peer_uid;
               if (!auditor->MayPost(uid))
                 return MakeError(ErrorKind::kUnauthorized,
                                  "user " + std::to_string(uid) +
                                      " may not post audit events (root, keyd's user and "
                                      "[[principal]] entries with audit = true may)");
               EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
               EDGESEC_TRY(auditor->Post(uid, body));
               return http::Reply::NoContent();
             });
}

}  // namespace edgesec::keyd::audit

#include "certd/api/lifecycle_api.hpp"

namespace edgesec::certd::api {
namespace {

Json OrNull(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

Expected<std::string> Nullable(const JsonFields& f, const char* name) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, f.OptionalString(name));
  return v.value_or("");
}

}  // namespace

void CertLifecycle::AddTo(Json& j) const {
  j["status"] = status;
  j["type"] = type;
  j["level"] = level ? Json(*level) : Json(nullptr);
}

Expected<CertLifecycle> CertLifecycle::FromJson(const Json& j) {
  JsonFields f(j);
  CertLifecycle l;
  EDGESEC_ASSIGN_OR_RETURN(l.status, Nullable(f, "status"));
  EDGESEC_ASSIGN_OR_RETURN(l.type, Nullable(f, "type"));
  EDGESEC_ASSIGN_OR_RETURN(auto level, f.OptionalInt64("level"));
  if (level) l.level = static_cast<int>(*level);
  return l;
}

Json RevocationInfo::ToJson() const {
  return Json{{"state", state},
              {"source", source},
              {"checkedAt", OrNull(checked_at)},
              {"nextUpdate", OrNull(next_update)},
              {"stale", stale},
              {"lastError", OrNull(last_error)}};
}

Expected<RevocationInfo> RevocationInfo::FromJson(const Json& j) {
  JsonFields f(j, "revocation.");
  RevocationInfo r;
  EDGESEC_ASSIGN_OR_RETURN(r.state, f.RequiredString("state"));
  EDGESEC_ASSIGN_OR_RETURN(r.source, Nullable(f, "source"));
  EDGESEC_ASSIGN_OR_RETURN(r.checked_at, Nullable(f, "checkedAt"));
  EDGESEC_ASSIGN_OR_RETURN(r.next_update, Nullable(f, "nextUpdate"));
  EDGESEC_ASSIGN_OR_RETURN(r.last_error, Nullable(f, "lastError"));
  if (auto it = j.find("stale"); it != j.end() && it->is_boolean()) r.stale = it->get<bool>();
  return r;
}

Json CertInfo::ToJson() const {
  Json j{{"pem", pem}};
  lifecycle.AddTo(j);
  if (revocation) j["revocation"] = revocation->ToJson();
  return j;
}

Expected<CertInfo> CertInfo::FromJson(const Json& j) {
  CertInfo i;
  EDGESEC_ASSIGN_OR_RETURN(i.pem, JsonFields(j).RequiredString("pem"));
  EDGESEC_ASSIGN_OR_RETURN(i.lifecycle, CertLifecycle::FromJson(j));
  if (auto it = j.find("revocation"); it != j.end() && it->is_object()) {
    EDGESEC_ASSIGN_OR_RETURN(i.revocation, RevocationInfo::FromJson(*it));
  }
  return i;
}

Json GenerationInfo::ToJson() const {
  Json j{{"generation", generation},  {"serial", serial},
         {"sha256", sha256},          {"publicKeySha256", public_key_sha256},
         {"keyId", OrNull(key_id)},   {"notBefore", not_before},
         {"notAfter", not_after},     {"origin", origin},
         {"reason", reason},          {"reissuedFrom", nullptr},
         {"reissuedAt", reissued_at}, {"synthesized", synthesized},
         {"status", status},          {"revoked", nullptr}};
  if (!from_sha256.empty())
    j["reissuedFrom"] = Json{{"serial", from_serial}, {"sha256", from_sha256}};
  if (!revoked_at.empty()) j["revoked"] = Json{{"at", revoked_at}, {"reason", revocation_reason}};
  return j;
}

Expected<GenerationInfo> GenerationInfo::FromJson(const Json& j) {
  JsonFields f(j);
  GenerationInfo g;
  EDGESEC_ASSIGN_OR_RETURN(auto number, f.OptionalInt64("generation"));
  if (!number) return InvalidParameter("missing parameter 'generation'");
  g.generation = *number;
  EDGESEC_ASSIGN_OR_RETURN(g.serial, f.RequiredString("serial"));
  EDGESEC_ASSIGN_OR_RETURN(g.sha256, f.RequiredString("sha256"));
  EDGESEC_ASSIGN_OR_RETURN(g.public_key_sha256, Nullable(f, "publicKeySha256"));
  EDGESEC_ASSIGN_OR_RETURN(g.key_id, Nullable(f, "keyId"));
  EDGESEC_ASSIGN_OR_RETURN(g.not_before, f.RequiredString("notBefore"));
  EDGESEC_ASSIGN_OR_RETURN(g.not_after, f.RequiredString("notAfter"));
  EDGESEC_ASSIGN_OR_RETURN(g.origin, f.RequiredString("origin"));
  EDGESEC_ASSIGN_OR_RETURN(g.reason, f.RequiredString("reason"));
  EDGESEC_ASSIGN_OR_RETURN(g.reissued_at, f.RequiredString("reissuedAt"));
  EDGESEC_ASSIGN_OR_RETURN(g.status, f.RequiredString("status"));
  if (auto it = j.find("synthesized"); it != j.end() && it->is_boolean())
    g.synthesized = it->get<bool>();
  if (auto it = j.find("reissuedFrom"); it != j.end() && it->is_object()) {
    JsonFields from(*it, "reissuedFrom.");
    EDGESEC_ASSIGN_OR_RETURN(g.from_serial, from.RequiredString("serial"));
    EDGESEC_ASSIGN_OR_RETURN(g.from_sha256, from.RequiredString("sha256"));
  }
  if (auto it = j.find("revoked"); it != j.end() && it->is_object()) {
    JsonFields revoked(*it, "revoked.");
    EDGESEC_ASSIGN_OR_RETURN(g.revoked_at, revoked.RequiredString("at"));
    EDGESEC_ASSIGN_OR_RETURN(g.revocation_reason, revoked.RequiredString("reason"));
  }
  return g;
}

Json HistoryResponse::ToJson() const {
  Json list = Json::array();
  for (const auto& g : generations) list.push_back(g.ToJson());
  return Json{{"certId", cert_id}, {"dropped", dropped}, {"generations", std::move(list)}};
}

Expected<HistoryResponse> HistoryResponse::FromJson(const Json& j) {
  JsonFields f(j);
  HistoryResponse r;
  EDGESEC_ASSIGN_OR_RETURN(r.cert_id, f.RequiredString("certId"));
  EDGESEC_ASSIGN_OR_RETURN(auto dropped, f.OptionalInt64("dropped"));
  r.dropped = dropped.value_or(0);
  auto it = j.find("generations");
  if (it == j.end() || !it->is_array()) return InvalidParameter("missing parameter 'generations'");
  for (const Json& e : *it) {
    if (!e.is_object()) return InvalidParameter("parameter 'generations' must hold objects");
    EDGESEC_ASSIGN_OR_RETURN(auto g, GenerationInfo::FromJson(e));
    r.generations.push_back(std::move(g));
  }
  return r;
}

bool IsRenewReason(const std::string& reason) {
  return reason == "manual" || reason == "revoked" || reason == "key-compromise" ||
         reason == "source-changed";
}

}  // namespace edgesec::certd::api

// The history file's format (history.hpp): parsed with every field checked, and written.
//   {"format":1,"certId":"…","dropped":0,"generations":[{"generation":1,"serial":"…","sha256":"…",
//    "publicKeySha256":"…","keyId":"…"|null,"notBefore":<epoch>,"notAfter":<epoch>,
//    "origin":"issued","reason":"initial","reissuedFrom":null|{"serial":"…","sha256":"…"},
//    "reissuedAt":<epoch>,"synthesized":false,"revoked":null|{"at":<epoch>,"reason":"…"}}]}
#include <algorithm>
#include <limits>

#include "certd/store/history.hpp"
#include "common/json.hpp"

namespace edgesec::certd::store {
namespace {

constexpr int64_t kFormat = 1;

Error Bad(const std::string& field, const std::string& what) {
  return InvalidParameter("field '" + field + "' " + what);
}

Expected<std::string> Str(const Json& o, const std::string& prefix, const char* name,
                          bool nullable = false) {
  auto it = o.find(name);
  if (it == o.end() || (it->is_null() && !nullable)) return Bad(prefix + name, "is missing");
  if (it->is_null()) return std::string();
  if (!it->is_string()) return Bad(prefix + name, "must be a string");
  return it->get<std::string>();
}

Expected<int64_t> Int(const Json& o, const std::string& prefix, const char* name, int64_t min) {
  auto it = o.find(name);
  if (it == o.end() || it->is_null()) return Bad(prefix + name, "is missing");
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() &&
       it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
    return Bad(prefix + name, "must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < min) return Bad(prefix + name, "must be at least " + std::to_string(min));
  return v;
}

bool OneOf(const std::string& s, const char* const* begin, const char* const* end) {
  return std::any_of(begin, end, [&](const char* v) { return s == v; });
}

Expected<Generation> ParseGeneration(const Json& o, const std::string& p) {
  if (!o.is_object()) return Bad(p.substr(0, p.size() - 1), "must be an object");
  Generation g;
  EDGESEC_ASSIGN_OR_RETURN(g.number, Int(o, p, "generation", 1));
  EDGESEC_ASSIGN_OR_RETURN(g.serial, Str(o, p, "serial"));
  EDGESEC_ASSIGN_OR_RETURN(g.sha256, Str(o, p, "sha256"));
  if (g.serial.empty()) return Bad(p + "serial", "is empty");
  if (g.sha256.size() != 95) return Bad(p + "sha256", "is not a SHA-256 fingerprint");
  EDGESEC_ASSIGN_OR_RETURN(g.public_key_sha256, Str(o, p, "publicKeySha256"));
  EDGESEC_ASSIGN_OR_RETURN(g.key_id, Str(o, p, "keyId", true));
  EDGESEC_ASSIGN_OR_RETURN(g.not_before, Int(o, p, "notBefore", 0));
  EDGESEC_ASSIGN_OR_RETURN(g.not_after, Int(o, p, "notAfter", 0));
  EDGESEC_ASSIGN_OR_RETURN(g.origin, Str(o, p, "origin"));
  if (!OneOf(g.origin, std::begin(kOrigins), std::end(kOrigins)))
    return Bad(p + "origin", "must be issued, imported or preloaded");
  EDGESEC_ASSIGN_OR_RETURN(g.reason, Str(o, p, "reason"));
  if (!IsReason(g.reason))
    return Bad(p + "reason",
               "must be initial, threshold, manual, revoked, key-compromise or source-changed");
  if (auto it = o.find("reissuedFrom"); it != o.end() && !it->is_null()) {
    if (!it->is_object()) return Bad(p + "reissuedFrom", "must be an object or null");
    EDGESEC_ASSIGN_OR_RETURN(g.from_serial, Str(*it, p + "reissuedFrom.", "serial"));
    EDGESEC_ASSIGN_OR_RETURN(g.from_sha256, Str(*it, p + "reissuedFrom.", "sha256"));
  }
  EDGESEC_ASSIGN_OR_RETURN(g.reissued_at, Int(o, p, "reissuedAt", 0));
  if (auto it = o.find("synthesized"); it != o.end() && !it->is_null()) {
    if (!it->is_boolean()) return Bad(p + "synthesized", "must be true or false");
    g.synthesized = it->get<bool>();
  }
  if (auto it = o.find("revoked"); it != o.end() && !it->is_null()) {
    if (!it->is_object()) return Bad(p + "revoked", "must be an object or null");
    Revocation r;
    EDGESEC_ASSIGN_OR_RETURN(r.at, Int(*it, p + "revoked.", "at", 0));
    EDGESEC_ASSIGN_OR_RETURN(r.reason, Str(*it, p + "revoked.", "reason"));
    g.revoked = std::move(r);
  }
  return g;
}

Json GenerationJson(const Generation& g) {
  Json j{{"generation", g.number},
         {"serial", g.serial},
         {"sha256", g.sha256},
         {"publicKeySha256", g.public_key_sha256},
         {"keyId", g.key_id.empty() ? Json(nullptr) : Json(g.key_id)},
         {"notBefore", g.not_before},
         {"notAfter", g.not_after},
         {"origin", g.origin},
         {"reason", g.reason},
         {"reissuedFrom", nullptr},
         {"reissuedAt", g.reissued_at},
         {"synthesized", g.synthesized},
         {"revoked", nullptr}};
  if (!g.from_sha256.empty())
    j["reissuedFrom"] = Json{{"serial", g.from_serial}, {"sha256", g.from_sha256}};
  if (g.revoked) j["revoked"] = Json{{"at", g.revoked->at}, {"reason", g.revoked->reason}};
  return j;
}

}  // namespace

bool IsReason(const std::string& s) {
  return OneOf(s, std::begin(kReasons), std::end(kReasons));
}

Expected<HistoryDoc> ParseHistory(const std::string& text, const std::string& cert_id) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidParameter("not valid JSON");
  if (!j.is_object()) return InvalidParameter("not a JSON object");
  EDGESEC_ASSIGN_OR_RETURN(int64_t format, Int(j, "", "format", 1));
  if (format > kFormat)
    return MakeError(ErrorKind::kConfig, "format " + std::to_string(format) +
                                             " is newer than this certd understands (" +
                                             std::to_string(kFormat) + ")");
  HistoryDoc doc;
  EDGESEC_ASSIGN_OR_RETURN(doc.cert_id, Str(j, "", "certId"));
  if (doc.cert_id != cert_id) return Bad("certId", "names another cert ('" + doc.cert_id + "')");
  EDGESEC_ASSIGN_OR_RETURN(doc.dropped, Int(j, "", "dropped", 0));
  auto gens = j.find("generations");
  if (gens == j.end() || !gens->is_array()) return Bad("generations", "must be an array");
  if (gens->empty()) return Bad("generations", "holds no generation");
  if (gens->size() > kMaxGenerations)
    return Bad("generations", "holds more than " + std::to_string(kMaxGenerations));
  for (size_t i = 0; i < gens->size(); ++i) {
    std::string prefix = "generations[" + std::to_string(i) + "].";
    EDGESEC_ASSIGN_OR_RETURN(Generation g, ParseGeneration((*gens)[i], prefix));
    if (!doc.generations.empty() && g.number <= doc.generations.back().number)
      return Bad(prefix + "generation", "is not after the one before it");
    doc.generations.push_back(std::move(g));
  }
  return doc;
}

std::string SerializeHistory(const HistoryDoc& doc) {
  Json gens = Json::array();
  for (const auto& g : doc.generations) gens.push_back(GenerationJson(g));
  Json j{{"format", kFormat},
         {"certId", doc.cert_id},
         {"dropped", doc.dropped},
         {"generations", std::move(gens)}};
  return j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

bool AppendGeneration(HistoryDoc* doc, Generation g) {
  g.number = doc->generations.empty() ? 1 : doc->generations.back().number + 1;
  doc->generations.push_back(std::move(g));
  if (doc->generations.size() <= kMaxGenerations) return false;
  // Generation 1 (the first issuance) stays; the oldest after it goes, counted.
  size_t excess = doc->generations.size() - kMaxGenerations;
  doc->generations.erase(doc->generations.begin() + 1, doc->generations.begin() + 1 + excess);
  doc->dropped += static_cast<int64_t>(excess);
  return true;
}

}  // namespace edgesec::certd::store

#include "common/audit/format.hpp"

#include <array>

#include "common/json.hpp"
#include "common/ossl.hpp"
#include "common/x509/time.hpp"

namespace edgesec::audit {
namespace {

constexpr std::array<std::string_view, 8> kKeydEvents = {
    "keyd.start", "keyd.stop", "key.create", "key.import",
    "key.delete", "key.move",  "key.sign",   "audit.damaged",
};
constexpr std::array<std::string_view, 9> kPostableEvents = {
    "cert.issue",  "cert.renew",   "cert.rollover",       "cert.import",     "cert.delete",
    "cert.revoke", "config.apply", "workload.cert.issue", "edgeca.rollover",
};
constexpr std::array<std::string_view, 3> kServices = {"certd", "identityd", "edgectl"};

template <size_t N>
bool In(const std::array<std::string_view, N>& set, std::string_view v) {
  for (std::string_view s : set)
    if (s == v) return true;
  return false;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Error Field(const char* name, const std::string& what) {
  return InvalidParameter(std::string("field '") + name + "' " + what);
}

}  // namespace

bool IsKeydEvent(std::string_view event) {
  return In(kKeydEvents, event);
}
bool IsPostableEvent(std::string_view event) {
  return In(kPostableEvents, event);
}
bool IsReportingService(std::string_view service) {
  return In(kServices, service);
}

std::string PostableEventList() {
  std::string out;
  for (std::string_view e : kPostableEvents) out += (out.empty() ? "" : ", ") + std::string(e);
  return out;
}

bool IsCleanText(std::string_view text, size_t max) {
  if (text.size() > max) return false;
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

Expected<Line> ParseLine(std::string_view text) {
  if (text.size() > kMaxLineBytes)
    return InvalidParameter("the line is longer than " + std::to_string(kMaxLineBytes) + " bytes");
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidParameter("the line is not a JSON object");
  Line out;
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned() || seq->get<uint64_t>() == 0)
    return Field("seq", "must be a positive integer");
  out.seq = seq->get<uint64_t>();
  auto prev = j.find("prev");
  if (prev == j.end() || !prev->is_string() || prev->get<std::string>().size() != 64 ||
      !IsLowerHex(prev->get<std::string>()))
    return Field("prev", "must be 64 lowercase hex digits (a SHA-256)");
  out.prev = prev->get<std::string>();
  auto time = j.find("time");
  if (time == j.end() || !time->is_string() || !x509::ParseRfc3339(time->get<std::string>()))
    return Field("time", "must be an RFC 3339 time");
  auto service = j.find("service");
  if (service == j.end() || !service->is_string() ||
      (service->get<std::string>() != "keyd" && !IsReportingService(service->get<std::string>())))
    return Field("service", "must be keyd, certd, identityd or edgectl");
  auto event = j.find("event");
  if (event == j.end() || !event->is_string() ||
      !(IsKeydEvent(event->get<std::string>()) || IsPostableEvent(event->get<std::string>())))
    return Field("event", "must be a known event");
  out.event = event->get<std::string>();
  return out;
}

std::string HashOf(std::string_view line) {
  return HexLower(Sha256(reinterpret_cast<const unsigned char*>(line.data()), line.size()));
}

}  // namespace edgesec::audit

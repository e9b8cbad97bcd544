#include "certd/est/server_error.hpp"

#include <cctype>

#include "common/json.hpp"

namespace edgesec::certd::est {

std::optional<std::string> JsonErrText(const std::string& body) {
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || body[first] != '{') return std::nullopt;
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("err") || !j["err"].is_string())
    return std::nullopt;
  std::string out;
  for (char c : j["err"].get<std::string>()) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    out += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  }
  return out;
}

bool IsReenrollWindowClosed(const Error& e) {
  return e.message.find(kReenrollWindowClosed) != std::string::npos;
}

}  // namespace edgesec::certd::est

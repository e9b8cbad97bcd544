// Secrets out of what edgectl prints: `config show` and `config apply --dry-run`.
#include <regex>
#include <sstream>

#include "config/super/peer_only.hpp"
#include "config/super/super.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super {
namespace {

bool SecretKey(std::string_view key) {
  return key == "password" || key == "owner_auth" || key == "value" || key == "connection_string";
}

void RedactTree(toml::table& t) {
  for (auto& [k, v] : t) {
    if (v.is_table()) {
      RedactTree(*v.as_table());
    } else if (v.is_array_of_tables()) {
      for (auto& item : *v.as_array()) RedactTree(*item.as_table());
    } else if (v.is_string()) {
      std::string s = v.as_string()->get();
      v.as_string()->get() = SecretKey(k.str()) ? "<redacted>" : Redact(s);
    } else if (v.is_array()) {
      for (auto& item : *v.as_array())
        if (item.is_string()) item.as_string()->get() = Redact(item.as_string()->get());
    }
  }
}

}  // namespace

std::string Redact(std::string_view text) {
  static const std::regex kPin("pin-value=[^;&?\"\\s]*");
  static const std::regex kLine(
      "^(\\s*(password|owner_auth|connection_string)\\s*=\\s*)\"(?:[^\"\\\\]|\\\\.)*\"");
  std::string out;
  std::string all(text);
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\n', start);
    std::string line =
        all.substr(start, end == std::string::npos ? std::string::npos : end - start);
    line = std::regex_replace(line, kPin, "pin-value=<redacted>");
    line = std::regex_replace(line, kLine, "$1\"<redacted>\"");
    out += line;
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

Expected<std::string> ShowSuperConfig(std::string_view text, const std::string& path, bool json) {
  EDGESEC_ASSIGN_OR_RETURN(ParsedFile parsed, ParseToml(text, path));
  std::vector<std::string> ignored;
  PrunePeerOnly(*parsed.table, path, &ignored);
  RedactTree(*parsed.table);
  std::ostringstream out;
  if (json)
    out << toml::json_formatter(*parsed.table);
  else
    out << toml::toml_formatter(*parsed.table);
  return out.str() + "\n";
}

}  // namespace edgesec::config::super

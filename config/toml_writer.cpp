#include "config/toml_writer.hpp"

#include <cstdio>

namespace edgesec::config {
namespace {

bool BareKey(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

std::string Key(const std::string& k) {
  return BareKey(k) ? k : TomlString(k);
}

}  // namespace

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

TomlWriter::TomlWriter(const std::string& header) {
  Comment(header);
}

void TomlWriter::Comment(const std::string& text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    text_ += line.empty() ? "#\n" : "# " + line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

void TomlWriter::Table(const std::string& name) {
  text_ += "\n[" + name + "]\n";
}
void TomlWriter::ArrayTable(const std::string& name) {
  text_ += "\n[[" + name + "]]\n";
}
void TomlWriter::String(const std::string& key, const std::string& value) {
  text_ += Key(key) + " = " + TomlString(value) + "\n";
}
void TomlWriter::Integer(const std::string& key, int64_t value) {
  text_ += Key(key) + " = " + std::to_string(value) + "\n";
}
void TomlWriter::Boolean(const std::string& key, bool value) {
  text_ += Key(key) + " = " + (value ? "true" : "false") + "\n";
}
void TomlWriter::Strings(const std::string& key, const std::vector<std::string>& values) {
  std::string s = Key(key) + " = [";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + TomlString(values[i]);
  text_ += s + "]\n";
}
void TomlWriter::Raw(const std::string& key, const std::string& literal) {
  text_ += Key(key) + " = " + literal + "\n";
}

}  // namespace edgesec::config

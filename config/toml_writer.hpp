#pragma once
// A small deterministic TOML writer for the generated per-service files (config apply, through the
// services' field tables): keys in the order written, strings escaped as TOML basic strings.

#include <cstdint>
#include <string>
#include <vector>

namespace edgesec::config {

std::string TomlString(const std::string& s);

class TomlWriter {
 public:
  TomlWriter() = default;
  explicit TomlWriter(const std::string& header);
  void Comment(const std::string& text);
  void Table(const std::string& name);       // [name]
  void ArrayTable(const std::string& name);  // [[name]]
  void String(const std::string& key, const std::string& value);
  void Integer(const std::string& key, int64_t value);
  void Boolean(const std::string& key, bool value);
  void Strings(const std::string& key, const std::vector<std::string>& values);
  void Raw(const std::string& key, const std::string& literal);
  void Text(const std::string& text) { text_ += text; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace edgesec::config

#pragma once
// JSON behind a small wrapper: parsing that never throws, and table-like field readers that name
// the missing or mistyped field (400) while ignoring unknown fields (the peer's clients send some).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/ossl.hpp"

namespace edgesec {

using Json = nlohmann::json;

// kUnprocessable when `text` is not JSON; kInvalidParameter when it is not an object.
Expected<Json> ParseJsonObject(std::string_view text);
std::string DumpJson(const Json& j);

// Reads fields of one JSON object; each getter returns kInvalidParameter naming the field.
class JsonFields {
 public:
  explicit JsonFields(const Json& object, std::string prefix = {})
      : object_(object), prefix_(std::move(prefix)) {}
  Expected<std::string> RequiredString(std::string_view name) const;
  Expected<std::optional<std::string>> OptionalString(std::string_view name) const;
  // A standard base64 string decoded to bytes.
  Expected<Bytes> RequiredBytes(std::string_view name) const;
  Expected<std::optional<Bytes>> OptionalBytes(std::string_view name) const;
  // A JSON integer that fits int64_t ("must be an integer" / "is out of range" otherwise).
  Expected<std::optional<int64_t>> OptionalInt64(std::string_view name) const;
  Expected<JsonFields> RequiredObject(std::string_view name) const;

 private:
  std::string Name(std::string_view name) const { return prefix_ + std::string(name); }
  const Json& object_;
  std::string prefix_;
};

}  // namespace edgesec

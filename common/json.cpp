#include "common/json.hpp"

#include <limits>

#include "common/base64.hpp"

namespace edgesec {

Expected<Json> ParseJsonObject(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return MakeError(ErrorKind::kUnprocessable, "request body is not valid JSON");
  if (!j.is_object()) return InvalidParameter("request body must be a JSON object");
  return j;
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Expected<std::optional<std::string>> JsonFields::OptionalString(std::string_view name) const {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return InvalidParameter("parameter '" + Name(name) + "' must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Expected<std::optional<int64_t>> JsonFields::OptionalInt64(std::string_view name) const {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return InvalidParameter("parameter '" + Name(name) + "' is out of range");
  if (!it->is_number_integer())
    return InvalidParameter("parameter '" + Name(name) + "' must be an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

Expected<std::string> JsonFields::RequiredString(std::string_view name) const {
  EDGESEC_ASSIGN_OR_RETURN(auto value, OptionalString(name));
  if (!value) return InvalidParameter("missing parameter '" + Name(name) + "'");
  return std::move(*value);
}

Expected<std::optional<Bytes>> JsonFields::OptionalBytes(std::string_view name) const {
  EDGESEC_ASSIGN_OR_RETURN(auto text, OptionalString(name));
  if (!text) return std::optional<Bytes>();
  auto bytes = Base64Decode(*text);
  if (!bytes) return InvalidParameter("parameter '" + Name(name) + "' is not valid base64");
  return std::optional<Bytes>(std::move(*bytes));
}

Expected<Bytes> JsonFields::RequiredBytes(std::string_view name) const {
  EDGESEC_ASSIGN_OR_RETURN(auto value, OptionalBytes(name));
  if (!value) return InvalidParameter("missing parameter '" + Name(name) + "'");
  return std::move(*value);
}

Expected<JsonFields> JsonFields::RequiredObject(std::string_view name) const {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null())
    return InvalidParameter("missing parameter '" + Name(name) + "'");
  if (!it->is_object()) return InvalidParameter("parameter '" + Name(name) + "' must be an object");
  return JsonFields(*it, Name(name) + ".");
}

}  // namespace edgesec

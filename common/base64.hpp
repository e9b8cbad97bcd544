#pragma once
// Standard base64 with padding (API byte strings) and unpadded base64url (key handles).

#include <optional>
#include <string>
#include <string_view>

#include "common/ossl.hpp"

namespace edgesec {

std::string Base64Encode(const unsigned char* data, size_t len);
inline std::string Base64Encode(const Bytes& b) {
  return Base64Encode(b.data(), b.size());
}
// Strict: standard alphabet, padding required, no whitespace. nullopt on anything else.
std::optional<Bytes> Base64Decode(std::string_view text);

std::string Base64UrlEncode(const unsigned char* data, size_t len);
std::optional<Bytes> Base64UrlDecode(std::string_view text);

}  // namespace edgesec

#pragma once
// Value checks shared by the super config's reader and its cross-checks: URIs of certs and keys,
// renewal spans, key algorithms.

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace edgesec::config::super {

bool IsFileUri(std::string_view s);
// "file:///a/b" → "/a/b"; anything else unchanged.
std::string PathOf(std::string_view uri);
// An RFC 7512 URI, checked with p11-kit's parser; the message says what is wrong.
Status CheckPkcs11Uri(const std::string& uri);
// The pin-source of a pkcs11: URI that is a file ("file:/p", "/p"), or empty.
std::string Pkcs11PinFile(const std::string& uri);
// The token part of a key URI: "pkcs11:slot-id=0;object=x?pin-value=1" →
// "pkcs11:slot-id=0?pin-value=1".
std::string Pkcs11TokenOf(const std::string& uri);
bool HasPinValue(std::string_view uri);

// "N%" (1–99, when percent is allowed) or "Nd"/"Nday", "Nh", "Nm"/"Nmin" with N > 0: nullopt when
// fine, else what is wrong. `seconds` receives the absolute length (0 for a percentage).
std::optional<std::string> SpanProblem(const std::string& text, bool allow_percent,
                                       int64_t* seconds = nullptr);
bool IsKeyAlgorithm(std::string_view alg);
// The CA label of an EST URL: "https://h/.well-known/est/devices" → "devices"; else empty.
std::string EstLabelOf(std::string_view url);  // a key pair type certd can create through keyd

}  // namespace edgesec::config::super

#include "config/super/values.hpp"

#include <p11-kit/uri.h>

#include <cctype>

namespace edgesec::config::super {

bool IsFileUri(std::string_view s) {
  return s.rfind("file:///", 0) == 0;
}

std::string PathOf(std::string_view uri) {
  return std::string(IsFileUri(uri) ? uri.substr(7) : uri);
}

Status CheckPkcs11Uri(const std::string& uri) {
  P11KitUri* parsed = p11_kit_uri_new();
  int rc = p11_kit_uri_parse(uri.c_str(), P11_KIT_URI_FOR_ANY, parsed);
  p11_kit_uri_free(parsed);
  if (rc != P11_KIT_URI_OK)
    return InvalidParameter(std::string("is not a valid pkcs11: URI (RFC 7512): ") +
                            p11_kit_uri_message(rc));
  return {};
}

std::string Pkcs11PinFile(const std::string& uri) {
  P11KitUri* parsed = p11_kit_uri_new();
  std::string out;
  if (p11_kit_uri_parse(uri.c_str(), P11_KIT_URI_FOR_ANY, parsed) == P11_KIT_URI_OK) {
    const char* source = p11_kit_uri_get_pin_source(parsed);
    if (source != nullptr) {
      std::string s = source;
      if (s.rfind("file:", 0) == 0) s = s.substr(5);
      while (s.rfind("//", 0) == 0) s = s.substr(1);
      if (!s.empty() && s[0] == '/') out = s;
    }
  }
  p11_kit_uri_free(parsed);
  return out;
}

std::string Pkcs11TokenOf(const std::string& uri) {
  // Path attributes naming the token are kept; object, id and type name the key and go.
  if (uri.rfind("pkcs11:", 0) != 0) return "pkcs11:";
  std::string body = uri.substr(7), query;
  if (auto q = body.find('?'); q != std::string::npos) {
    query = body.substr(q);
    body = body.substr(0, q);
  }
  std::string out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find(';', start);
    std::string attr =
        body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string name = attr.substr(0, attr.find('='));
    if (!attr.empty() && name != "object" && name != "id" && name != "type")
      out += (out.empty() ? "" : ";") + attr;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "pkcs11:" + out + query;
}

bool HasPinValue(std::string_view uri) {
  return uri.find("pin-value=") != std::string_view::npos;
}

std::optional<std::string> SpanProblem(const std::string& text, bool allow_percent,
                                       int64_t* seconds) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string unit = text.substr(digits);
  std::string grammar = allow_percent
                            ? "use \"N%\" (1-99, of the certificate's lifetime) or an absolute "
                              "\"Nd\", \"Nh\" or \"Nm\""
                            : "use \"Nd\", \"Nh\" or \"Nm\"";
  if (digits == 0 || digits > 9) return "'" + text + "' is not a span; " + grammar;
  int64_t n = std::stoll(text.substr(0, digits));
  if (seconds) *seconds = 0;
  if (unit == "%") {
    if (!allow_percent) return "'" + text + "': a percentage is not allowed here; " + grammar;
    if (n < 1 || n > 99) return "'" + text + "' is out of range; a percentage is 1% to 99%";
    return std::nullopt;
  }
  int64_t mult = unit == "d" || unit == "day"   ? 86400
                 : unit == "h"                  ? 3600
                 : unit == "m" || unit == "min" ? 60
                                                : 0;
  if (mult == 0) return "'" + text + "' has an unknown unit; " + grammar;
  if (n == 0) return "'" + text + "' is zero; " + grammar;
  if (seconds) *seconds = n * mult;
  return std::nullopt;
}

bool IsKeyAlgorithm(std::string_view alg) {
  for (const char* a : {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"})
    if (alg == a) return true;
  return false;
}

std::string EstLabelOf(std::string_view url) {
  size_t at = url.find("/.well-known/est");
  if (at == std::string_view::npos) return {};
  std::string label(url.substr(at + 16));
  while (!label.empty() && label.front() == '/') label.erase(0, 1);
  while (!label.empty() && label.back() == '/') label.pop_back();
  return label;
}

}  // namespace edgesec::config::super

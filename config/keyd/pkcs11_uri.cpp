// The only file that includes <p11-kit/uri.h>, which needs p11-kit's compat spelling of pkcs11.h
// (see p11.hpp): every other header comes first, and this file uses none of the words that spelling
// #defines (value, count, params, …) after the include.
#include "config/keyd/pkcs11_uri.hpp"

#include <p11-kit/uri.h>

#include <cstring>
#include <memory>
#include <vector>

#include "common/fs.hpp"

namespace edgesec::keyd {
namespace {

struct UriDeleter {
  void operator()(P11KitUri* u) const { p11_kit_uri_free(u); }
};

// Space-padded fixed-width token info field → string; all zero bytes means "not given".
std::optional<std::string> Field(const unsigned char* data, size_t len) {
  bool any = false;
  for (size_t i = 0; i < len; ++i) any = any || data[i] != 0;
  if (!any) return std::nullopt;
  std::string s(reinterpret_cast<const char*>(data), len);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

std::string TokenFields::Describe() const {
  std::string out;
  auto add = [&](const char* name, const std::optional<std::string>& v) {
    if (v) out += std::string(out.empty() ? "" : ", ") + name + " '" + *v + "'";
  };
  add("token", label);
  add("manufacturer", manufacturer);
  add("serial", serial);
  add("model", model);
  if (slot_id) out += std::string(out.empty() ? "" : ", ") + "slot-id " + std::to_string(*slot_id);
  return out.empty() ? "any token" : out;
}

std::string RedactPkcs11Uri(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i <= text.size()) {
    size_t end = text.find_first_of(";?&", i);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(i, end - i);
    bool secret = part.rfind("pin-value=", 0) == 0 || part.rfind("pkcs11:pin-value=", 0) == 0;
    if (secret) {
      if (part.rfind("pkcs11:", 0) == 0) out += "pkcs11:";
      if (end < text.size() && text[end] == '?') out += '?';
    } else {
      out += part;
      if (end < text.size()) out += text[end];
    }
    i = end + 1;
  }
  // Tidy separators left behind by a removed attribute.
  std::string tidy;
  for (char c : out) {
    if ((c == ';' || c == '&') && !tidy.empty() &&
        (tidy.back() == ';' || tidy.back() == '&' || tidy.back() == '?' || tidy.back() == ':'))
      continue;
    tidy += c;
  }
  while (!tidy.empty() && (tidy.back() == ';' || tidy.back() == '&' || tidy.back() == '?'))
    tidy.pop_back();
  return tidy;
}

Expected<Pkcs11Uri> ParsePkcs11Uri(const std::string& text) {
  Pkcs11Uri out;
  out.redacted = RedactPkcs11Uri(text);
  if (text.rfind("pkcs11:", 0) != 0)
    return InvalidParameter("'" + out.redacted + "' is not a pkcs11: URI");
  std::unique_ptr<P11KitUri, UriDeleter> uri(p11_kit_uri_new());
  int rc = p11_kit_uri_parse(text.c_str(), P11_KIT_URI_FOR_ANY, uri.get());
  if (rc != P11_KIT_URI_OK)
    return InvalidParameter("'" + out.redacted + "' is not a valid RFC 7512 pkcs11: URI (" +
                            p11_kit_uri_message(rc) + ")");

  CK_TOKEN_INFO* token = p11_kit_uri_get_token_info(uri.get());
  out.token.label = Field(token->label, sizeof token->label);
  out.token.manufacturer = Field(token->manufacturerID, sizeof token->manufacturerID);
  out.token.serial = Field(token->serialNumber, sizeof token->serialNumber);
  out.token.model = Field(token->model, sizeof token->model);
  CK_SLOT_ID slot = p11_kit_uri_get_slot_id(uri.get());
  if (slot != static_cast<CK_SLOT_ID>(-1)) out.token.slot_id = slot;

  if (CK_ATTRIBUTE* a = p11_kit_uri_get_attribute(uri.get(), CKA_LABEL); a != nullptr)
    out.object = std::string(static_cast<const char*>(a->pValue), a->ulValueLen);
  if (CK_ATTRIBUTE* a = p11_kit_uri_get_attribute(uri.get(), CKA_ID); a != nullptr) {
    const unsigned char* p = static_cast<const unsigned char*>(a->pValue);
    out.id = Bytes(p, p + a->ulValueLen);
  }
  if (CK_ATTRIBUTE* a = p11_kit_uri_get_attribute(uri.get(), CKA_CLASS);
      a != nullptr && a->ulValueLen == sizeof(CK_OBJECT_CLASS)) {
    CK_OBJECT_CLASS cls;
    std::memcpy(&cls, a->pValue, sizeof cls);
    out.object_class = cls;
  }

  if (const char* pin = p11_kit_uri_get_pin_value(uri.get()); pin != nullptr) {
    out.pin = Secret::FromString(pin);
  } else if (const char* source = p11_kit_uri_get_pin_source(uri.get()); source != nullptr) {
    std::string path = source;
    if (path.rfind("file:", 0) == 0) path = path.substr(5);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // file:///abs
    if (path.empty() || path[0] != '/')
      return InvalidParameter("pin-source of '" + out.redacted + "' must be file:/absolute/path");
    auto content = fs::ReadFile(path, 4096);
    if (!content)
      return InvalidParameter("cannot read the PIN file '" + path +
                              "' named by pin-source: " + content.error().message);
    std::string& pin_text = *content;
    size_t len = pin_text.size();
    while (len > 0 && (pin_text[len - 1] == '\n' || pin_text[len - 1] == '\r')) --len;
    out.pin = Secret(reinterpret_cast<const unsigned char*>(pin_text.data()), len);
    OPENSSL_cleanse(pin_text.data(), pin_text.size());
  }
  return out;
}

}  // namespace edgesec::keyd

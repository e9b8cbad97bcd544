#pragma once
// RFC 7512 pkcs11: URIs, parsed by p11-kit: the token they name (token, manufacturer, serial,
// model, slot-id), the object (object = CKA_LABEL, id = CKA_ID, type = CKA_CLASS) and the PIN
// (pin-value, or pin-source=file:/path read here). The PIN stays in a Secret; `redacted` is the URI
// without it, the only form that may appear in a message.

#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"

namespace edgesec::keyd {

struct TokenFields {
  std::optional<std::string> label, manufacturer, serial, model;
  std::optional<unsigned long> slot_id;
  bool Empty() const { return !label && !manufacturer && !serial && !model && !slot_id; }
  bool operator==(const TokenFields&) const = default;
  // "token 'label'" or the fields given, for messages.
  std::string Describe() const;
};

struct Pkcs11Uri {
  std::string redacted;
  TokenFields token;
  std::optional<std::string> object;          // CKA_LABEL
  std::optional<Bytes> id;                    // CKA_ID
  std::optional<unsigned long> object_class;  // CKO_…, from type=
  std::optional<Secret> pin;
};

// kInvalidParameter naming the problem (never the PIN); a pin-source file that cannot be read is an
// error too.
Expected<Pkcs11Uri> ParsePkcs11Uri(const std::string& text);
// The URI with any pin-value attribute removed.
std::string RedactPkcs11Uri(const std::string& text);

}  // namespace edgesec::keyd

#pragma once
// Request and response types of the keys API (API.md, "Keys") and their JSON mapping, shared by the
// server (FromJson: names the missing or mistyped field, ignores unknown ones) and the client
// (ToJson).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/ossl.hpp"

namespace edgesec::keyd::api {

inline const std::vector<std::string>& Versions() {
  static const std::vector<std::string> v = {"2020-09-01", "2021-05-01"};
  return v;
}
inline constexpr const char* kVersionLatest = "2021-05-01";

// Algorithm tokens of preferredAlgorithms; "*" is any, ec-p256 first.
inline const std::vector<std::string>& KeyPairAlgorithms() {
  static const std::vector<std::string> v = {"ec-p256",  "ec-p384",  "rsa-2048",
                                             "rsa-3072", "rsa-4096", "ed25519"};
  return v;
}
// Expands "ec-p384:rsa-2048:*" into an ordered list without duplicates; kInvalidParameter on an
// unknown token.
Expected<std::vector<std::string>> ParsePreferredAlgorithms(const std::string& text);

struct CreateKeyPairRequest {
  std::string key_id;
  std::optional<std::string> preferred_algorithms;
  static Expected<CreateKeyPairRequest> FromJson(const Json& j);
  Json ToJson() const;
};

struct MoveKeyPairRequest {
  std::string from;
  static Expected<MoveKeyPairRequest> FromJson(const Json& j);
  Json ToJson() const;
};

struct ImportKeyPairRequest {
  Bytes pkcs8_der;
  static Expected<ImportKeyPairRequest> FromJson(const Json& j);
  Json ToJson() const;
};

// DELETE /keypair, DELETE /key, POST /parameters/{name}, POST /derivedkey/export.
struct HandleRequest {
  std::string key_handle;
  static Expected<HandleRequest> FromJson(const Json& j);
  Json ToJson() const;
};

enum class SignAlgorithm { kEcdsa, kHmacSha256, kRsaPkcs1Sha256, kRsaPssSha256, kEdDsa };
struct SignRequest {
  std::string key_handle;
  SignAlgorithm algorithm = SignAlgorithm::kEcdsa;
  Bytes data;  // parameters.digest (ECDSA, RSA-*) or parameters.message (HMAC-SHA256, EdDSA)
  static Expected<SignRequest> FromJson(const Json& j);
  Json ToJson() const;
};
const char* SignAlgorithmName(SignAlgorithm a);
bool SignAlgorithmTakesMessage(SignAlgorithm a);

enum class EncryptAlgorithm { kAead, kRsaPkcs1, kRsaNoPadding };
struct EncryptRequest {
  std::string key_handle;
  EncryptAlgorithm algorithm = EncryptAlgorithm::kAead;
  Bytes iv, aad;  // AEAD only
  Bytes data;     // plaintext (encrypt) or ciphertext (decrypt)
  static Expected<EncryptRequest> FromJson(const Json& j, bool decrypt);
  Json ToJson(bool decrypt) const;
};

struct CreateKeyRequest {
  std::string key_id;
  uint32_t usage = 0;              // EDGESEC_USAGE_* bits
  std::optional<Bytes> key_bytes;  // import when present
  static Expected<CreateKeyRequest> FromJson(const Json& j);
  Json ToJson() const;
};
// "derive,sign" → bits; kInvalidParameter on an unknown word or an empty list.
Expected<uint32_t> ParseUsage(const std::string& text);
std::string UsageText(uint32_t usage);

struct DeriveKeyRequest {
  std::string base_key_handle;
  Bytes derivation_data;
  static Expected<DeriveKeyRequest> FromJson(const Json& j);
  Json ToJson() const;
};

struct KeyPairInfo {
  std::string key_id, engine, algorithm;
  uint32_t security_level = 0;
};

}  // namespace edgesec::keyd::api

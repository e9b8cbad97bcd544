#include "keyd/api/keys_api.hpp"

#include <algorithm>

#include "common/base64.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::api {
namespace {

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::string B64(const Bytes& b) {
  return Base64Encode(b);
}

}  // namespace

Expected<std::vector<std::string>> ParsePreferredAlgorithms(const std::string& text) {
  std::vector<std::string> out;
  auto add = [&](const std::string& a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  for (const std::string& token : Split(text, ':')) {
    if (token == "*") {
      for (const auto& a : KeyPairAlgorithms()) add(a);
    } else if (std::find(KeyPairAlgorithms().begin(), KeyPairAlgorithms().end(), token) !=
               KeyPairAlgorithms().end()) {
      add(token);
    } else {
      return InvalidParameter(
          "parameter 'preferredAlgorithms' has an unknown algorithm '" + token.substr(0, 32) +
          "'; use ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519 or *");
    }
  }
  return out;
}

Expected<CreateKeyPairRequest> CreateKeyPairRequest::FromJson(const Json& j) {
  JsonFields f(j);
  CreateKeyPairRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.key_id, f.RequiredString("keyId"));
  EDGESEC_ASSIGN_OR_RETURN(r.preferred_algorithms, f.OptionalString("preferredAlgorithms"));
  return r;
}
Json CreateKeyPairRequest::ToJson() const {
  Json j{{"keyId", key_id}};
  if (preferred_algorithms) j["preferredAlgorithms"] = *preferred_algorithms;
  return j;
}

Expected<MoveKeyPairRequest> MoveKeyPairRequest::FromJson(const Json& j) {
  MoveKeyPairRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.from, JsonFields(j).RequiredString("from"));
  return r;
}
Json MoveKeyPairRequest::ToJson() const {
  return Json{{"from", from}};
}

Expected<ImportKeyPairRequest> ImportKeyPairRequest::FromJson(const Json& j) {
  ImportKeyPairRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.pkcs8_der, JsonFields(j).RequiredBytes("pkcs8"));
  return r;
}
Json ImportKeyPairRequest::ToJson() const {
  return Json{{"pkcs8", B64(pkcs8_der)}};
}

Expected<HandleRequest> HandleRequest::FromJson(const Json& j) {
  HandleRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.key_handle, JsonFields(j).RequiredString("keyHandle"));
  return r;
}
Json HandleRequest::ToJson() const {
  return Json{{"keyHandle", key_handle}};
}

const char* SignAlgorithmName(SignAlgorithm a) {
  switch (a) {
    case SignAlgorithm::kEcdsa:
      return "ECDSA";
    case SignAlgorithm::kHmacSha256:
      return "HMAC-SHA256";
    case SignAlgorithm::kRsaPkcs1Sha256:
      return "RSA-PKCS1-SHA256";
    case SignAlgorithm::kRsaPssSha256:
      return "RSA-PSS-SHA256";
    case SignAlgorithm::kEdDsa:
      return "EdDSA";
  }
  return "?";
}

bool SignAlgorithmTakesMessage(SignAlgorithm a) {
  return a == SignAlgorithm::kHmacSha256 || a == SignAlgorithm::kEdDsa;
}

Expected<SignRequest> SignRequest::FromJson(const Json& j) {
  JsonFields f(j);
  SignRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.key_handle, f.RequiredString("keyHandle"));
  EDGESEC_ASSIGN_OR_RETURN(std::string algorithm, f.RequiredString("algorithm"));
  bool known = false;
  for (SignAlgorithm a :
       {SignAlgorithm::kEcdsa, SignAlgorithm::kHmacSha256, SignAlgorithm::kRsaPkcs1Sha256,
        SignAlgorithm::kRsaPssSha256, SignAlgorithm::kEdDsa}) {
    if (algorithm == SignAlgorithmName(a)) {
      r.algorithm = a;
      known = true;
    }
  }
  if (!known)
    return InvalidParameter("parameter 'algorithm' has an unknown value '" +
                            algorithm.substr(0, 32) +
                            "'; use ECDSA, HMAC-SHA256, RSA-PKCS1-SHA256, RSA-PSS-SHA256 or EdDSA");
  EDGESEC_ASSIGN_OR_RETURN(JsonFields params, f.RequiredObject("parameters"));
  EDGESEC_ASSIGN_OR_RETURN(
      r.data, params.RequiredBytes(SignAlgorithmTakesMessage(r.algorithm) ? "message" : "digest"));
  return r;
}
Json SignRequest::ToJson() const {
  return Json{
      {"keyHandle", key_handle},
      {"algorithm", SignAlgorithmName(algorithm)},
      {"parameters", {{SignAlgorithmTakesMessage(algorithm) ? "message" : "digest", B64(data)}}}};
}

Expected<EncryptRequest> EncryptRequest::FromJson(const Json& j, bool decrypt) {
  JsonFields f(j);
  EncryptRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.key_handle, f.RequiredString("keyHandle"));
  EDGESEC_ASSIGN_OR_RETURN(std::string algorithm, f.RequiredString("algorithm"));
  if (algorithm == "AEAD") {
    r.algorithm = EncryptAlgorithm::kAead;
    EDGESEC_ASSIGN_OR_RETURN(JsonFields params, f.RequiredObject("parameters"));
    EDGESEC_ASSIGN_OR_RETURN(r.iv, params.RequiredBytes("iv"));
    EDGESEC_ASSIGN_OR_RETURN(r.aad, params.RequiredBytes("aad"));
  } else if (!decrypt && algorithm == "RSA-PKCS1") {
    r.algorithm = EncryptAlgorithm::kRsaPkcs1;
  } else if (!decrypt && algorithm == "RSA-NO-PADDING") {
    r.algorithm = EncryptAlgorithm::kRsaNoPadding;
  } else {
    return InvalidParameter("parameter 'algorithm' has an unsupported value '" +
                            algorithm.substr(0, 32) + "'; use " +
                            (decrypt ? "AEAD" : "AEAD, RSA-PKCS1 or RSA-NO-PADDING"));
  }
  EDGESEC_ASSIGN_OR_RETURN(r.data, f.RequiredBytes(decrypt ? "ciphertext" : "plaintext"));
  return r;
}
Json EncryptRequest::ToJson(bool decrypt) const {
  Json j{{"keyHandle", key_handle}, {decrypt ? "ciphertext" : "plaintext", B64(data)}};
  switch (algorithm) {
    case EncryptAlgorithm::kAead:
      j["algorithm"] = "AEAD";
      j["parameters"] = {{"iv", B64(iv)}, {"aad", B64(aad)}};
      break;
    case EncryptAlgorithm::kRsaPkcs1:
      j["algorithm"] = "RSA-PKCS1";
      break;
    case EncryptAlgorithm::kRsaNoPadding:
      j["algorithm"] = "RSA-NO-PADDING";
      break;
  }
  return j;
}

Expected<uint32_t> ParseUsage(const std::string& text) {
  uint32_t usage = 0;
  for (const std::string& word : Split(text, ',')) {
    if (word == "derive")
      usage |= EDGESEC_USAGE_DERIVE;
    else if (word == "encrypt")
      usage |= EDGESEC_USAGE_ENCRYPT;
    else if (word == "sign")
      usage |= EDGESEC_USAGE_SIGN;
    else
      return InvalidParameter("parameter 'usage' has an unknown value '" + word.substr(0, 32) +
                              "'; use derive, encrypt and/or sign, comma-separated");
  }
  return usage;
}

std::string UsageText(uint32_t usage) {
  std::string out;
  auto add = [&](uint32_t bit, const char* word) {
    if ((usage & bit) == 0) return;
    if (!out.empty()) out += ',';
    out += word;
  };
  add(EDGESEC_USAGE_DERIVE, "derive");
  add(EDGESEC_USAGE_ENCRYPT, "encrypt");
  add(EDGESEC_USAGE_SIGN, "sign");
  return out;
}

Expected<CreateKeyRequest> CreateKeyRequest::FromJson(const Json& j) {
  JsonFields f(j);
  CreateKeyRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.key_id, f.RequiredString("keyId"));
  EDGESEC_ASSIGN_OR_RETURN(std::string usage, f.RequiredString("usage"));
  EDGESEC_ASSIGN_OR_RETURN(r.usage, ParseUsage(usage));
  EDGESEC_ASSIGN_OR_RETURN(r.key_bytes, f.OptionalBytes("keyBytes"));
  return r;
}
Json CreateKeyRequest::ToJson() const {
  Json j{{"keyId", key_id}, {"usage", UsageText(usage)}};
  if (key_bytes) j["keyBytes"] = B64(*key_bytes);
  return j;
}

Expected<DeriveKeyRequest> DeriveKeyRequest::FromJson(const Json& j) {
  JsonFields f(j);
  DeriveKeyRequest r;
  EDGESEC_ASSIGN_OR_RETURN(r.base_key_handle, f.RequiredString("baseKeyHandle"));
  EDGESEC_ASSIGN_OR_RETURN(r.derivation_data, f.RequiredBytes("derivationData"));
  return r;
}
Json DeriveKeyRequest::ToJson() const {
  return Json{{"baseKeyHandle", base_key_handle}, {"derivationData", B64(derivation_data)}};
}

}  // namespace edgesec::keyd::api

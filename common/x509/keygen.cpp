#include "common/x509/keygen.hpp"

#include <openssl/evp.h>

#include <string>

namespace edgesec::x509 {

Expected<EvpPkeyPtr> GenerateKey(std::string_view algorithm) {
  EVP_PKEY* key = nullptr;
  if (algorithm == "ec-p256")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  else if (algorithm == "ec-p384")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  else if (algorithm == "rsa-2048")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  else if (algorithm == "rsa-3072")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
  else if (algorithm == "rsa-4096")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
  else if (algorithm == "ed25519")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  else
    return InvalidParameter("unknown algorithm '" + std::string(algorithm) + "'");
  if (key == nullptr) return OpenSslError("key generation failed");
  return EvpPkeyPtr(key);
}

}  // namespace edgesec::x509

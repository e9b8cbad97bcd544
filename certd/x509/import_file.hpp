#pragma once
// Reads what `edgectl cert import` is given: PEM (certificates, optionally a private key), DER, or
// PKCS#12 (.pfx/.p12, including the legacy RC2/3DES encryption that needs OpenSSL's legacy
// provider).

#include <optional>
#include <string>

#include "common/secret.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::certd::x509 {

struct ImportBundle {
  edgesec::x509::Chain chain;  // leaf first
  EvpPkeyPtr key;              // null when the file holds no private key
  std::string format;          // "PEM", "DER", "PKCS#12"
};

// kInvalidParameter with a plain reason: "garbage: …", "wrong password for the PKCS#12 file", …
Expected<ImportBundle> ReadCertificateFile(const Bytes& data,
                                           const std::optional<std::string>& password);

// Loads the "legacy" provider next to "default" once, so that legacy PKCS#12 files decrypt.
// Returns false when the legacy provider is not installed.
bool EnableLegacyAlgorithms();

}  // namespace edgesec::certd::x509

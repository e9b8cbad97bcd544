#pragma once
// Software key generation by edgesec's algorithm names (DESIGN.md, "Key service"): keyd's file
// engine and identityd's module certs both make their keys here.

#include <string_view>

#include "common/error.hpp"
#include "common/ossl.hpp"

namespace edgesec::x509 {

// "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519". kInvalidParameter "unknown
// algorithm '…'" for any other name; kCrypto (with OpenSSL's errors) when generation fails.
Expected<EvpPkeyPtr> GenerateKey(std::string_view algorithm);

}  // namespace edgesec::x509

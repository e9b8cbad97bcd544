#pragma once
// Public parameters of a key pair, as the keys API reports them (API.md, POST /parameters/{name}).

#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"

namespace edgesec::keyd {

// name ∈ algorithm, ec-curve-oid, ec-point, rsa-modulus, rsa-exponent. "algorithm" is "ECDSA",
// "RSA" or "EdDSA"; the others are base64 (curve OID as DER, uncompressed EC point — the raw
// 32-byte public key for Ed25519 — and big-endian RSA integers). kInvalidParameter for an unknown
// name or one that does not fit the key type.
Expected<std::string> PublicParameter(const Bytes& spki, const std::string& name);

}  // namespace edgesec::keyd

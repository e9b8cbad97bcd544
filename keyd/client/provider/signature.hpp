#pragma once
// The private-key operations of a keyd key, as keyd calls. Shared by the signature and the
// asymmetric-cipher implementations.

#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "keyd/client/provider/provider.hpp"

namespace edgesec::keyd::provider {

// ECDSA over a digest: a DER ECDSA-Sig-Value.
Expected<Bytes> SignEcdsa(const Key& key, const Bytes& digest);
// RSASSA-PKCS1-v1_5 over a digest made with `md` (DigestInfo built here); `md` empty: `digest`
// is signed as given (the caller built the DigestInfo).
Expected<Bytes> SignRsaPkcs1(const Key& key, const std::string& md, const Bytes& digest);
// RSASSA-PSS over a digest made with `md`; salt_length follows OpenSSL (-1 digest length, -2/-3
// the maximum, else the length); mgf1 empty: `md`.
Expected<Bytes> SignRsaPss(const Key& key, const std::string& md, const std::string& mgf1,
                           int salt_length, const Bytes& digest);
// Ed25519 over the message itself.
Expected<Bytes> SignEd25519(const Key& key, const Bytes& message);
// The raw RSA private-key operation: `input` (at most the modulus length) raised to d.
Expected<Bytes> RsaPrivate(const Key& key, const Bytes& input);

}  // namespace edgesec::keyd::provider

#pragma once
// What an open tpm engine holds, shared by its operations (one file per operation).

#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "keyd/engines/tpm/store.hpp"
#include "keyd/engines/tpm/tpm.hpp"

namespace edgesec::keyd::engines::tpm {

struct Context {
  std::shared_ptr<Tpm> tpm;
  BlobStore store;
};

// "The TPM cannot do this": EDGESEC_E_UNSUPPORTED at the ABI (400 with this message through keyd).
Error Unsupported(std::string message);
bool IsUnsupported(const Error& e);

// The public key of a TPM object as a DER SubjectPublicKeyInfo.
Expected<Bytes> SpkiOf(const TPMT_PUBLIC& pub);
// RSA modulus length in bytes, 0 for other key types.
size_t ModulusBytes(const TPMT_PUBLIC& pub);

// Operations (each in its own file). Errors: kNotFound, kInvalidParameter (bad input),
// Unsupported(), kIo / kInternal (the TPM or the filesystem failed).
Status GenerateKeyPair(Context& c, const std::string& id, const std::string& algorithm);
Status ImportKeyPair(Context& c, const std::string& id, const Bytes& pkcs8);
Expected<Bytes> SignDigest(Context& c, const std::string& id, edgesec_mechanism mechanism,
                           const Bytes& in);
Status CreateHmacKey(Context& c, const std::string& id, uint32_t usage, const uint8_t* key_bytes,
                     size_t len);
Expected<Bytes> HmacSha256(Context& c, const std::string& id, const Bytes& message);

}  // namespace edgesec::keyd::engines::tpm

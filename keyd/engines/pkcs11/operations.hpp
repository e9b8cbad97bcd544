#pragma once
// The engine's operations, one file each (keypairs.cpp, import.cpp, sign.cpp, secrets.cpp), behind
// the C ABI glue of pkcs11_engine.cpp. They return Errors; the glue turns them into ABI statuses.
// Checks that have an ABI status of their own (read-only, unsupported) happen in the glue before
// the call.

#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"
#include "edgesec/key_engine.h"
#include "keyd/engines/pkcs11/context.hpp"

namespace edgesec::keyd::engines::pkcs11 {

bool CanGenerate(const std::string& algorithm);
Status GenerateKeyPair(Context& ctx, const std::string& key_id, const std::string& algorithm);
// kInvalidParameter for bytes that are no PKCS#8 key or a key keyd does not offer;
// kUnsupported-like cases (Ed25519) are reported by the glue through IsImportable.
Status ImportKeyPair(Context& ctx, const std::string& key_id, EVP_PKEY* key);
struct PublicKeyPair {
  std::string algorithm;
  Bytes spki;
};
Expected<PublicKeyPair> GetKeyPair(Context& ctx, const std::string& key_id);
Status DeleteKey(Context& ctx, edgesec_key_kind kind, const std::string& key_id);
Status MoveKey(Context& ctx, edgesec_key_kind kind, const std::string& from, const std::string& to);
struct ListedKey {
  std::string id;
  edgesec_key_kind kind;
  std::string algorithm;
};
Expected<std::vector<ListedKey>> ListKeys(Context& ctx);

// The mechanism fits the key type (else EDGESEC_E_UNSUPPORTED in the glue).
bool MechanismFits(edgesec_mechanism mechanism, const std::string& algorithm);
Expected<Bytes> Sign(Context& ctx, const std::string& key_id, edgesec_mechanism mechanism,
                     const Bytes& in);

// AES-256 for usage encrypt, a generic secret (HMAC-SHA256) for sign/derive; not both in one key.
Status CreateSecret(Context& ctx, const std::string& key_id, uint32_t usage, const Secret* bytes);
Expected<uint32_t> GetSecret(Context& ctx, const std::string& key_id);
Expected<Bytes> SecretOp(Context& ctx, const std::string& key_id, edgesec_secret_op op,
                         const Bytes& iv, const Bytes& aad, const Bytes& in);

// Destroys objects, ignoring those already gone.
void DestroyAll(const Call& c, const std::vector<ck_object_handle_t>& objects);

}  // namespace edgesec::keyd::engines::pkcs11

#pragma once
// Private-key and secret-key operations on in-memory keys, for engines that hold keys in software.

#include <map>
#include <mutex>
#include <string>

#include "common/ossl.hpp"
#include "common/secret.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::file {

// One key's signing contexts, each initialised once (the signature fetch, the provider lookup and
// the padding set up) and copied for each operation: a copy carries no state from the operation
// before, and the template is never used itself, so concurrent signatures share nothing but the
// key. They live as long as the decoded key they were made from, so they go with it (a deleted,
// replaced or moved key, a reload).
class PreparedContexts {
 public:
  // A fresh context for `mechanism` on `key` (always the same key), ready for EVP_PKEY_sign; null
  // when one cannot be made (the caller then makes one the long way, which reports the error).
  EvpPkeyCtxPtr ContextFor(EVP_PKEY* key, edgesec_mechanism mechanism);

 private:
  std::mutex mutex_;
  std::map<edgesec_mechanism, EvpPkeyCtxPtr> templates_;  // never erased: stable while in use
};

// EDGESEC_E_UNSUPPORTED when the mechanism does not fit the key type, EDGESEC_E_INVALID for bad
// input. `prepared`: the key's prepared contexts, or null to make a context for this call alone.
Bytes SignWithKey(EVP_PKEY* key, PreparedContexts* prepared, edgesec_mechanism mechanism,
                  const uint8_t* in, size_t in_len, edgesec_status* status, std::string* message);
Bytes SecretOperation(const Secret& key, edgesec_secret_op op, const uint8_t* iv, size_t iv_len,
                      const uint8_t* aad, size_t aad_len, const uint8_t* in, size_t in_len,
                      edgesec_status* status, std::string* message);

}  // namespace edgesec::keyd::engines::file

#pragma once
// Private-key and secret-key operations on in-memory keys, for engines that hold keys in software.

#include <string>

#include "common/ossl.hpp"
#include "common/secret.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::file {

// EDGESEC_E_UNSUPPORTED when the mechanism does not fit the key type, EDGESEC_E_INVALID for bad
// input.
Bytes SignWithKey(EVP_PKEY* key, edgesec_mechanism mechanism, const uint8_t* in, size_t in_len,
                  edgesec_status* status, std::string* message);
Bytes SecretOperation(const Secret& key, edgesec_secret_op op, const uint8_t* iv, size_t iv_len,
                      const uint8_t* aad, size_t aad_len, const uint8_t* in, size_t in_len,
                      edgesec_status* status, std::string* message);

}  // namespace edgesec::keyd::engines::file

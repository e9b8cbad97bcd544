#pragma once
// Keys held elsewhere, used here (DESIGN.md): an OpenSSL EVP_PKEY whose public half is a keyd key
// pair's and whose private operations are keyd /sign and /encrypt calls. Works wherever OpenSSL
// takes a private key: X509_sign, X509_REQ_sign, SSL_CTX_use_PrivateKey (TLS client auth),
// EVP_DigestSign. Built on OpenSSL's EC_KEY_METHOD / RSA_METHOD, which OpenSSL 3 routes through its
// legacy path for such "foreign" keys. EC (P-256, P-384) and RSA; Ed25519 keys are refused (no such
// method exists).

#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::keyd {

Expected<EvpPkeyPtr> LoadRemoteKey(std::shared_ptr<KeydClient> client,
                                   const std::string& key_handle);

}  // namespace edgesec::keyd

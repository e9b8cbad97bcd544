#pragma once
// Keys held elsewhere, used here (DESIGN.md): an OpenSSL EVP_PKEY whose public half is a keyd key
// pair's and whose private operations are keyd calls. Works wherever OpenSSL takes a private key:
// X509_sign, X509_REQ_sign, SSL_CTX_use_PrivateKey (TLS client auth), EVP_DigestSign. The key
// belongs to the edgesec OpenSSL provider (keyd/client/provider/), built in to this process and
// loaded into OpenSSL's default library context beside the default provider on first use. EC
// (P-256, P-384), RSA (PKCS#1 v1.5 and PSS, any digest) and Ed25519.

#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::keyd {

Expected<EvpPkeyPtr> LoadRemoteKey(std::shared_ptr<KeydClient> client,
                                   const std::string& key_handle);

}  // namespace edgesec::keyd

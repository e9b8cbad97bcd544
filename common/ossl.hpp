#pragma once
// One RAII alias per C type (OpenSSL, libcurl; later libp11 and tss2), all here, so that no call
// site ever spells a deleter.

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace edgesec {

template <class T>
struct Deleter;
#define EDGESEC_DELETER(T, fn)             \
  template <>                              \
  struct Deleter<T> {                      \
    void operator()(T* p) const { fn(p); } \
  }
EDGESEC_DELETER(BIO, BIO_free_all);
EDGESEC_DELETER(BIGNUM, BN_free);
EDGESEC_DELETER(BN_CTX, BN_CTX_free);
EDGESEC_DELETER(EVP_PKEY, EVP_PKEY_free);
EDGESEC_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
EDGESEC_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
EDGESEC_DELETER(EVP_MD, EVP_MD_free);
EDGESEC_DELETER(X509_SIG, X509_SIG_free);
EDGESEC_DELETER(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
EDGESEC_DELETER(EVP_MAC, EVP_MAC_free);
EDGESEC_DELETER(EVP_MAC_CTX, EVP_MAC_CTX_free);
EDGESEC_DELETER(X509, X509_free);
EDGESEC_DELETER(X509_NAME, X509_NAME_free);
EDGESEC_DELETER(X509_REQ, X509_REQ_free);
EDGESEC_DELETER(X509_EXTENSION, X509_EXTENSION_free);
EDGESEC_DELETER(X509_STORE, X509_STORE_free);
EDGESEC_DELETER(X509_STORE_CTX, X509_STORE_CTX_free);
EDGESEC_DELETER(ASN1_OBJECT, ASN1_OBJECT_free);
EDGESEC_DELETER(ASN1_INTEGER, ASN1_INTEGER_free);
EDGESEC_DELETER(EC_POINT, EC_POINT_free);
EDGESEC_DELETER(EC_GROUP, EC_GROUP_free);
EDGESEC_DELETER(ECDSA_SIG, ECDSA_SIG_free);
EDGESEC_DELETER(SSL_CTX, SSL_CTX_free);
EDGESEC_DELETER(SSL, SSL_free);
EDGESEC_DELETER(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free);
EDGESEC_DELETER(OSSL_PARAM, OSSL_PARAM_free);
EDGESEC_DELETER(PKCS12, PKCS12_free);
EDGESEC_DELETER(PKCS7, PKCS7_free);
EDGESEC_DELETER(CURL, curl_easy_cleanup);
EDGESEC_DELETER(curl_slist, curl_slist_free_all);
// A stack of extensions owns its elements.
inline void FreeExtensionStack(STACK_OF(X509_EXTENSION) * s) {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
EDGESEC_DELETER(STACK_OF(X509_EXTENSION), FreeExtensionStack);
// A stack of certificates owns its elements (push X509_up_ref'd ones).
inline void FreeX509Stack(STACK_OF(X509) * s) {
  sk_X509_pop_free(s, X509_free);
}
EDGESEC_DELETER(STACK_OF(X509), FreeX509Stack);
#undef EDGESEC_DELETER

template <class T>
using UniquePtr = std::unique_ptr<T, Deleter<T>>;
using BioPtr = UniquePtr<BIO>;
using BignumPtr = UniquePtr<BIGNUM>;
using EvpPkeyPtr = UniquePtr<EVP_PKEY>;
using EvpPkeyCtxPtr = UniquePtr<EVP_PKEY_CTX>;
using EvpMdCtxPtr = UniquePtr<EVP_MD_CTX>;
using EvpCipherCtxPtr = UniquePtr<EVP_CIPHER_CTX>;
using X509Ptr = UniquePtr<X509>;
using X509ReqPtr = UniquePtr<X509_REQ>;
using X509NamePtr = UniquePtr<X509_NAME>;
using SslCtxPtr = UniquePtr<SSL_CTX>;
using SslPtr = UniquePtr<SSL>;
using CurlPtr = UniquePtr<CURL>;
using CurlSlistPtr = UniquePtr<curl_slist>;

using Bytes = std::vector<unsigned char>;

// Pops the whole OpenSSL error queue into one line ("error:...; error:..."), leaving it empty.
std::string DrainOpenSslErrors();
// An error of kind kCrypto whose detail is the drained OpenSSL queue.
Error OpenSslError(std::string message);

// PEM/DER helpers used by several services.
Expected<EvpPkeyPtr> PrivateKeyFromPkcs8Der(const Bytes& der);
Expected<EvpPkeyPtr> PrivateKeyFromPem(const std::string& pem);
Expected<Bytes> PrivateKeyToPkcs8Der(EVP_PKEY* key);
Expected<std::string> PrivateKeyToPkcs8Pem(EVP_PKEY* key);
Expected<EvpPkeyPtr> PublicKeyFromSpkiDer(const Bytes& der);
Expected<Bytes> PublicKeyToSpkiDer(EVP_PKEY* key);
Expected<std::string> PublicKeyToPem(EVP_PKEY* key);

Bytes Sha256(const unsigned char* data, size_t len);
inline Bytes Sha256(const std::string& s) {
  return Sha256(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}
std::string HexLower(const Bytes& b);

}  // namespace edgesec

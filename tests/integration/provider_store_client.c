/* A program that knows nothing of edgesec: it loads a private key by URI through OpenSSL's
 * OSSL_STORE, signs with it and verifies the signature with the key's public half. Whatever
 * provider serves the URI is activated by openssl.cnf (OPENSSL_CONF). Used by provider_test.cpp
 * with `edgesec:<keyId>`; links libcrypto only.
 *
 *     provider_store_client URI      → prints "signature verified", exits 0
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>
#include <openssl/x509.h>
#include <stdio.h>

static int fail(const char *what) {
  fprintf(stderr, "provider_store_client: %s\n", what);
  ERR_print_errors_fp(stderr);
  return 1;
}

static EVP_PKEY *load_key(const char *uri) {
  EVP_PKEY *key = NULL;
  OSSL_STORE_CTX *store = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
  if (store == NULL) return NULL;
  OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
  while (key == NULL && !OSSL_STORE_eof(store)) {
    OSSL_STORE_INFO *info = OSSL_STORE_load(store);
    if (info == NULL) break;
    if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) key = OSSL_STORE_INFO_get1_PKEY(info);
    OSSL_STORE_INFO_free(info);
  }
  OSSL_STORE_close(store);
  return key;
}

int main(int argc, char **argv) {
  static const unsigned char message[] = "signed by a key this program never sees";
  unsigned char signature[1024];
  size_t signature_len = sizeof(signature);
  if (argc != 2) return fail("usage: provider_store_client URI");

  EVP_PKEY *key = load_key(argv[1]);
  if (key == NULL) return fail("cannot load the key");
  EVP_MD_CTX *sign = EVP_MD_CTX_new();
  if (EVP_DigestSignInit(sign, NULL, EVP_sha256(), NULL, key) != 1 ||
      EVP_DigestSign(sign, signature, &signature_len, message, sizeof(message)) != 1)
    return fail("cannot sign");

  /* The public half, re-read from its DER encoding: verified by whatever provider does that. */
  unsigned char *der = NULL;
  int der_len = i2d_PUBKEY(key, &der);
  const unsigned char *p = der;
  EVP_PKEY *pub = der_len > 0 ? d2i_PUBKEY(NULL, &p, der_len) : NULL;
  EVP_MD_CTX *verify = EVP_MD_CTX_new();
  if (pub == NULL || EVP_DigestVerifyInit(verify, NULL, EVP_sha256(), NULL, pub) != 1 ||
      EVP_DigestVerify(verify, signature, signature_len, message, sizeof(message)) != 1)
    return fail("the signature does not verify");
  printf("signature verified (%zu bytes)\n", signature_len);
  OPENSSL_free(der);
  EVP_MD_CTX_free(sign);
  EVP_MD_CTX_free(verify);
  EVP_PKEY_free(pub);
  EVP_PKEY_free(key);
  return 0;
}

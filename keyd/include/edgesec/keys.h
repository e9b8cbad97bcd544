/* libedgesec: keys held by edgesec-keyd (API.md, "Keys"), from C and C++.
 *
 * Private keys never leave keyd: signing is a request to keyd, checked against the caller's uid
 * (keyd's [[principal]] entries). edgesec_keys_load_evp_pkey gives an OpenSSL EVP_PKEY whose
 * private operations are such requests, for X509_sign, X509_REQ_sign, EVP_DigestSign or
 * SSL_CTX_use_PrivateKey. Conventions (errors, freeing, threads): <edgesec/common.h>.
 */
#ifndef EDGESEC_KEYS_H
#define EDGESEC_KEYS_H

#include <openssl/evp.h>

#include <edgesec/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A connection to keyd. */
typedef struct edgesec_keys edgesec_keys;

/* socket_path: keyd's socket; NULL means $EDGESEC_KEYD_SOCKET when set and not empty, else
 * /run/edgesec/keyd.sock. Opening does not connect: an unreachable keyd shows on the first call
 * (EDGESEC_CODE_UNAVAILABLE). Close with edgesec_keys_close. */
EDGESEC_API edgesec_code edgesec_keys_open(const char *socket_path, edgesec_keys **out,
                                           edgesec_err *err);
EDGESEC_API void edgesec_keys_close(edgesec_keys *keys);

/* Key pairs. A key id is 1-128 characters of A-Za-z0-9 . _ - : @ $; a handle is keyd's opaque
 * token for a key (returned as a string: edgesec_free it).
 * preferred_algorithms: NULL for keyd's default, else e.g. "ec-p384:rsa-2048:*" (ec-p256, ec-p384,
 * rsa-2048, rsa-3072, rsa-4096, ed25519, * = any). An existing key pair is kept and its handle
 * returned. */
EDGESEC_API edgesec_code edgesec_keys_create_key_pair(edgesec_keys *keys, const char *key_id,
                                                      const char *preferred_algorithms,
                                                      char **handle, edgesec_err *err);
/* EDGESEC_CODE_NOT_FOUND when there is no such key pair. */
EDGESEC_API edgesec_code edgesec_keys_get_key_pair(edgesec_keys *keys, const char *key_id,
                                                   char **handle, edgesec_err *err);
EDGESEC_API edgesec_code edgesec_keys_delete_key_pair(edgesec_keys *keys, const char *handle,
                                                      edgesec_err *err);

/* A parameter of a key pair, as keyd answers it: "algorithm" (e.g. "ECDSA", "RSA"), "ec-curve-oid",
 * "ec-point", "rsa-modulus", "rsa-exponent" (base64), "engine", "security-level". */
EDGESEC_API edgesec_code edgesec_keys_get_parameter(edgesec_keys *keys, const char *handle,
                                                    const char *name, char **value,
                                                    edgesec_err *err);
/* The public key as a DER SubjectPublicKeyInfo (d2i_PUBKEY reads it). */
EDGESEC_API edgesec_code edgesec_keys_public_key_der(edgesec_keys *keys, const char *handle,
                                                     uint8_t **spki_der, size_t *spki_len,
                                                     edgesec_err *err);

typedef enum edgesec_sign_algorithm {
  EDGESEC_SIGN_ECDSA = 1,             /* data = a digest; signature = DER ECDSA-Sig-Value */
  EDGESEC_SIGN_RSA_PKCS1_SHA256 = 2,  /* data = a SHA-256 digest; RSASSA-PKCS1-v1_5 */
  EDGESEC_SIGN_RSA_PSS_SHA256 = 3,    /* data = a SHA-256 digest; PSS, MGF1-SHA256, salt 32 */
  EDGESEC_SIGN_EDDSA = 4,             /* data = the message itself (Ed25519) */
  EDGESEC_SIGN_HMAC_SHA256 = 5        /* a secret key; data = the message; 32-byte MAC */
} edgesec_sign_algorithm;

/* Signs with the key behind `handle`; *signature is edgesec_free'd by the caller. */
EDGESEC_API edgesec_code edgesec_keys_sign(edgesec_keys *keys, const char *handle,
                                           edgesec_sign_algorithm algorithm, const uint8_t *data,
                                           size_t data_len, uint8_t **signature,
                                           size_t *signature_len, edgesec_err *err);

/* The key pairs this uid may use (GET /keypairs). */
typedef struct edgesec_key_info {
  char *key_id;
  char *engine;    /* "file", "pkcs11", "tpm" or a loadable engine's name */
  char *algorithm; /* "ec-p256", ..., "ed25519" */
  uint32_t security_level;
} edgesec_key_info;

typedef struct edgesec_key_list {
  size_t count;
  edgesec_key_info *keys;
} edgesec_key_list;

EDGESEC_API edgesec_code edgesec_keys_list(edgesec_keys *keys, edgesec_key_list **out,
                                           edgesec_err *err);
EDGESEC_API void edgesec_key_list_free(edgesec_key_list *list);

/* The remote-key helper: an EVP_PKEY for the key pair `key_id` whose public half is keyd's and
 * whose private operations are keyd /sign (and /encrypt) calls, through the edgesec OpenSSL provider
 * built into this library (loaded into OpenSSL's default library context beside the default
 * provider on first use). EC P-256/P-384, RSA and Ed25519 keys; EDGESEC_CODE_UNSUPPORTED for a key
 * type it cannot use. The key holds its own reference to the
 * connection, so `keys` may be closed before it; free it with EVP_PKEY_free. */
EDGESEC_API edgesec_code edgesec_keys_load_evp_pkey(edgesec_keys *keys, const char *key_id,
                                                    EVP_PKEY **out, edgesec_err *err);

#ifdef __cplusplus
}
#endif

#endif /* EDGESEC_KEYS_H */

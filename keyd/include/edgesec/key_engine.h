/* edgesec key engine ABI, version 1.
 *
 * A key engine is a shared object that exports one C function:
 *
 *     const struct edgesec_key_engine *edgesec_key_engine_entry(void);
 *
 * keyd dlopen()s the object named in its config, calls the entry point and refuses the engine unless
 * `abi_version` equals the EDGESEC_KEY_ENGINE_ABI_VERSION keyd was built with. keyd's own engines
 * (file, and later pkcs11 and tpm) implement this same table.
 *
 * Rules for every function:
 *  - returns an edgesec_status; on anything but EDGESEC_OK it may fill err->message (NUL-terminated);
 *    the message is shown to operators, so it must never contain a secret.
 *  - output buffers follow the PKCS#11 convention: *out_len holds the buffer size on entry; when it is
 *    too small the function sets *out_len to the size needed and returns EDGESEC_E_BUFFER_TOO_SMALL.
 *  - may be called from several threads at once with the same engine context.
 *  - key ids are 1-128 characters of A-Za-z0-9 . _ - : @ $ (validated by keyd before the call).
 */
#ifndef EDGESEC_KEY_ENGINE_H
#define EDGESEC_KEY_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGESEC_KEY_ENGINE_ABI_VERSION 1u
#define EDGESEC_KEY_ENGINE_ENTRY "edgesec_key_engine_entry"

typedef enum edgesec_status {
  EDGESEC_OK = 0,
  EDGESEC_E_NOT_FOUND = 1,        /* no such key */
  EDGESEC_E_INVALID = 2,          /* bad input (wrong digest length, bad key bytes, ...) */
  EDGESEC_E_UNSUPPORTED = 3,      /* this engine cannot do this (algorithm, mechanism, key kind) */
  EDGESEC_E_BUFFER_TOO_SMALL = 4,
  EDGESEC_E_READ_ONLY = 5,        /* the key belongs to the integrator (preloaded) */
  EDGESEC_E_FAILED = 6            /* anything else: device, filesystem, library */
} edgesec_status;

typedef struct edgesec_error {
  char message[512];
} edgesec_error;

typedef enum edgesec_key_kind {
  EDGESEC_KEY_PAIR = 1,
  EDGESEC_KEY_SECRET = 2
} edgesec_key_kind;

/* Private-key operations. Inputs: */
typedef enum edgesec_mechanism {
  EDGESEC_MECH_ECDSA = 1,             /* a digest; output a DER ECDSA-Sig-Value */
  EDGESEC_MECH_RSA_PKCS1_SHA256 = 2,  /* a SHA-256 digest; output an RSASSA-PKCS1-v1_5 signature */
  EDGESEC_MECH_RSA_PSS_SHA256 = 3,    /* a SHA-256 digest; PSS, MGF1-SHA256, salt length 32 */
  EDGESEC_MECH_EDDSA = 4,             /* the message itself (Ed25519) */
  EDGESEC_MECH_RSA_PKCS1_RAW = 5,     /* input padded with PKCS#1 type 1 and raised to d (no DigestInfo) */
  EDGESEC_MECH_RSA_NO_PADDING = 6     /* input of modulus length raised to d */
} edgesec_mechanism;

/* Secret-key operations. */
typedef enum edgesec_secret_op {
  EDGESEC_SECRET_HMAC_SHA256 = 1,     /* in = message; out = 32-byte MAC */
  EDGESEC_SECRET_AEAD_ENCRYPT = 2,    /* AES-256-GCM; out = ciphertext || 16-byte tag */
  EDGESEC_SECRET_AEAD_DECRYPT = 3     /* AES-256-GCM; in = ciphertext || tag */
} edgesec_secret_op;

/* Usage bits of a secret key. */
#define EDGESEC_USAGE_DERIVE 0x1u
#define EDGESEC_USAGE_ENCRYPT 0x2u
#define EDGESEC_USAGE_SIGN 0x4u

/* Algorithm names used in this ABI: "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096",
 * "ed25519". */
#define EDGESEC_ALGORITHM_MAX 32

typedef int (*edgesec_list_callback)(void *user, const char *key_id, edgesec_key_kind kind,
                                     const char *algorithm);

struct edgesec_key_engine {
  uint32_t abi_version;    /* EDGESEC_KEY_ENGINE_ABI_VERSION */
  uint32_t security_level; /* 0 = software, 2 = hardware (as Lamassu's SL0/SL2) */
  const char *name;

  /* options: a JSON object from keyd's config: {"state_dir": "...", "preloaded": {"id": "uri"},
   * "options": "<the engine's own options string>"}. */
  edgesec_status (*open)(const char *options_json, void **ctx, edgesec_error *err);
  void (*close)(void *ctx);

  /* Key pairs. generate returns EDGESEC_E_UNSUPPORTED for an algorithm the engine cannot make. */
  edgesec_status (*generate_key_pair)(void *ctx, const char *key_id, const char *algorithm,
                                      edgesec_error *err);
  edgesec_status (*import_key_pair)(void *ctx, const char *key_id, const uint8_t *pkcs8_der,
                                    size_t len, edgesec_error *err);
  /* algorithm: a buffer of EDGESEC_ALGORITHM_MAX; spki_der: the public key as SubjectPublicKeyInfo. */
  edgesec_status (*get_key_pair)(void *ctx, const char *key_id, char *algorithm, uint8_t *spki_der,
                                 size_t *spki_len, edgesec_error *err);
  edgesec_status (*sign)(void *ctx, const char *key_id, edgesec_mechanism mechanism,
                         const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len,
                         edgesec_error *err);

  /* Secret keys. key_bytes == NULL generates 32 random bytes. */
  edgesec_status (*create_secret)(void *ctx, const char *key_id, uint32_t usage,
                                  const uint8_t *key_bytes, size_t len, edgesec_error *err);
  edgesec_status (*get_secret)(void *ctx, const char *key_id, uint32_t *usage, edgesec_error *err);
  edgesec_status (*secret_op)(void *ctx, const char *key_id, edgesec_secret_op op,
                              const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                              const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len,
                              edgesec_error *err);

  /* Both kinds. move replaces `to` if it exists; the key stays under `from` if move fails. */
  edgesec_status (*delete_key)(void *ctx, edgesec_key_kind kind, const char *key_id,
                               edgesec_error *err);
  edgesec_status (*move_key)(void *ctx, edgesec_key_kind kind, const char *from, const char *to,
                             edgesec_error *err);
  /* Calls back once per key; a non-zero return from the callback stops the listing. */
  edgesec_status (*list_keys)(void *ctx, edgesec_list_callback callback, void *user,
                              edgesec_error *err);
};

typedef const struct edgesec_key_engine *(*edgesec_key_engine_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* EDGESEC_KEY_ENGINE_H */

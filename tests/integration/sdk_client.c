/* A third-party program of the SDK test (sdk_pkgconfig_test.sh): built outside the tree with
 * `pkg-config --cflags --libs edgesec` alone, as C and as C++17, against the installed libedgesec.
 * Only <edgesec/edgesec.h> and OpenSSL; no edgesec internals.
 *
 *   sdk_client sign OUTDIR   makes key pairs 'sdk-ec' (ec-p256) and 'sdk-rsa' (rsa-2048) in keyd
 *                            ($EDGESEC_KEYD_SOCKET), signs OUTDIR/message's SHA-256 with each
 *                            through edgesec_keys_sign, writes their public keys, a self-signed
 *                            certificate and a CSR signed through edgesec_keys_load_evp_pkey, and
 *                            checks the error codes of bad calls. The script verifies with openssl.
 *   sdk_client denied KEY_ID the caller may not use KEY_ID: every call on it answers
 *                            EDGESEC_CODE_UNAUTHORIZED with keyd's message.
 * Exit 0 when every check passed; messages on stderr name each failure.
 */
#include <edgesec/edgesec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                        \
  do {                                          \
    if (!(cond)) {                              \
      fprintf(stderr, "FAIL: " __VA_ARGS__);    \
      fprintf(stderr, "\n");                    \
      failures++;                               \
    }                                           \
  } while (0)

static int write_file(const char *dir, const char *name, const void *data, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL) return 0;
  size_t n = fwrite(data, 1, len, f);
  return fclose(f) == 0 && n == len;
}

static size_t read_file(const char *dir, const char *name, unsigned char *buf, size_t cap) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL) return 0;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

/* Makes key_id, signs the digest with it, writes <key_id>.sig and <key_id>.pub.der. */
static void sign_digest(edgesec_keys *keys, const char *dir, const char *key_id,
                        const char *algorithms, edgesec_sign_algorithm alg,
                        const unsigned char *digest, size_t digest_len) {
  edgesec_err err;
  char *handle = NULL;
  edgesec_code rc = edgesec_keys_create_key_pair(keys, key_id, algorithms, &handle, &err);
  CHECK(rc == EDGESEC_CODE_OK, "create_key_pair %s: %s: %s", key_id, edgesec_code_name(rc), err.message);
  if (rc != EDGESEC_CODE_OK) return;
  uint8_t *sig = NULL;
  size_t sig_len = 0;
  rc = edgesec_keys_sign(keys, handle, alg, digest, digest_len, &sig, &sig_len, &err);
  CHECK(rc == EDGESEC_CODE_OK && sig_len > 0, "sign %s: %s: %s", key_id, edgesec_code_name(rc), err.message);
  uint8_t *spki = NULL;
  size_t spki_len = 0;
  edgesec_code rc2 = edgesec_keys_public_key_der(keys, handle, &spki, &spki_len, &err);
  CHECK(rc2 == EDGESEC_CODE_OK, "public_key_der %s: %s", key_id, err.message);
  char name[256];
  snprintf(name, sizeof name, "%s.sig", key_id);
  if (rc == EDGESEC_CODE_OK) CHECK(write_file(dir, name, sig, sig_len), "writing %s", name);
  snprintf(name, sizeof name, "%s.pub.der", key_id);
  if (rc2 == EDGESEC_CODE_OK) CHECK(write_file(dir, name, spki, spki_len), "writing %s", name);
  char *algorithm = NULL;
  rc = edgesec_keys_get_parameter(keys, handle, "algorithm", &algorithm, &err);
  CHECK(rc == EDGESEC_CODE_OK, "get_parameter algorithm of %s: %s", key_id, err.message);
  if (rc == EDGESEC_CODE_OK) printf("%s: algorithm %s, %zu-byte signature\n", key_id, algorithm, sig_len);
  edgesec_free(algorithm);
  edgesec_free(spki);
  edgesec_free(sig);
  edgesec_free(handle);
}

/* A self-signed certificate and a CSR for key_id, signed by keyd through the EVP_PKEY. */
static void sign_x509(edgesec_keys *keys, const char *dir, const char *key_id) {
  edgesec_err err;
  EVP_PKEY *pkey = NULL;
  edgesec_code rc = edgesec_keys_load_evp_pkey(keys, key_id, &pkey, &err);
  CHECK(rc == EDGESEC_CODE_OK && pkey != NULL, "load_evp_pkey %s: %s: %s", key_id, edgesec_code_name(rc), err.message);
  if (pkey == NULL) return;
  X509 *cert = X509_new();
  X509_REQ *req = X509_REQ_new();
  X509_NAME *name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sdk-device", -1, -1, 0);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_set_subject_name(cert, name);
  X509_set_issuer_name(cert, name);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, pkey);
  CHECK(X509_sign(cert, pkey, EVP_sha256()) > 0, "X509_sign with the keyd key failed");
  X509_REQ_set_subject_name(req, name);
  X509_REQ_set_pubkey(req, pkey);
  CHECK(X509_REQ_sign(req, pkey, EVP_sha256()) > 0, "X509_REQ_sign with the keyd key failed");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.cert.pem", dir, key_id);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL && PEM_write_X509(f, cert), "writing %s", path);
  if (f != NULL) fclose(f);
  snprintf(path, sizeof path, "%s/%s.csr.pem", dir, key_id);
  f = fopen(path, "w");
  CHECK(f != NULL && PEM_write_X509_REQ(f, req), "writing %s", path);
  if (f != NULL) fclose(f);
  X509_NAME_free(name);
  X509_REQ_free(req);
  X509_free(cert);
  EVP_PKEY_free(pkey);
}

/* Bad calls: each answers its code, fills the message, and leaves the output alone. */
static void bad_calls(edgesec_keys *keys, const char *dir) {
  edgesec_err err;
  char *handle = NULL;
  edgesec_code rc = edgesec_keys_get_key_pair(keys, "sdk-no-such-key", &handle, &err);
  CHECK(rc == EDGESEC_CODE_NOT_FOUND && err.code == rc && handle == NULL,
        "get_key_pair of a missing key: %s '%s'", edgesec_code_name(rc), err.message);
  CHECK(strstr(err.message, "sdk-no-such-key") != NULL, "the message does not name the key: '%s'", err.message);
  rc = edgesec_keys_create_key_pair(keys, NULL, NULL, &handle, &err);
  CHECK(rc == EDGESEC_CODE_INVALID_ARGUMENT && strstr(err.message, "key_id") != NULL,
        "create_key_pair(NULL): %s '%s'", edgesec_code_name(rc), err.message);
  rc = edgesec_keys_create_key_pair(keys, "bad/id", NULL, &handle, &err);
  CHECK(rc == EDGESEC_CODE_INVALID_ARGUMENT, "create_key_pair('bad/id'): %s '%s'", edgesec_code_name(rc), err.message);
  rc = edgesec_keys_create_key_pair(keys, "sdk-x", "dsa-1024", &handle, &err);
  CHECK(rc == EDGESEC_CODE_INVALID_ARGUMENT, "create_key_pair(dsa-1024): %s '%s'", edgesec_code_name(rc), err.message);
  uint8_t *sig = NULL;
  size_t sig_len = 0;
  const uint8_t digest[32] = {0};
  rc = edgesec_keys_sign(keys, "sdk-forged-handle", EDGESEC_SIGN_ECDSA, digest, sizeof digest, &sig, &sig_len, &err);
  CHECK(rc == EDGESEC_CODE_INVALID_ARGUMENT || rc == EDGESEC_CODE_NOT_FOUND,
        "sign with a forged handle: %s '%s'", edgesec_code_name(rc), err.message);
  CHECK(sig == NULL, "sign with a forged handle returned a signature");
  EVP_PKEY *pkey = NULL;
  rc = edgesec_keys_load_evp_pkey(keys, "sdk-no-such-key", &pkey, &err);
  CHECK(rc == EDGESEC_CODE_NOT_FOUND && pkey == NULL, "load_evp_pkey of a missing key: %s", edgesec_code_name(rc));
  /* A daemon that is not there. */
  char path[4096];
  snprintf(path, sizeof path, "%s/no-such.sock", dir);
  edgesec_certs *certs = NULL;
  rc = edgesec_certs_open(path, &certs, &err);
  CHECK(rc == EDGESEC_CODE_OK, "certs_open: %s", err.message);
  char *pem = NULL;
  rc = edgesec_certs_get(certs, "device-id", &pem, &err);
  CHECK(rc == EDGESEC_CODE_UNAVAILABLE && pem == NULL, "certs_get without certd: %s '%s'", edgesec_code_name(rc), err.message);
  edgesec_certs_close(certs);
}

static void list_keys(edgesec_keys *keys) {
  edgesec_err err;
  edgesec_key_list *list = NULL;
  edgesec_code rc = edgesec_keys_list(keys, &list, &err);
  CHECK(rc == EDGESEC_CODE_OK, "keys_list: %s", err.message);
  if (list == NULL) return;
  int seen = 0;
  for (size_t i = 0; i < list->count; i++) {
    printf("listed %s (%s, %s, SL%u)\n", list->keys[i].key_id, list->keys[i].algorithm,
           list->keys[i].engine, (unsigned)list->keys[i].security_level);
    if (strcmp(list->keys[i].key_id, "sdk-ec") == 0 && strcmp(list->keys[i].algorithm, "ec-p256") == 0) seen++;
    if (strcmp(list->keys[i].key_id, "sdk-rsa") == 0 && strcmp(list->keys[i].algorithm, "rsa-2048") == 0) seen++;
  }
  CHECK(seen == 2, "keys_list does not show sdk-ec (ec-p256) and sdk-rsa (rsa-2048)");
  edgesec_key_list_free(list);
}

static int run_sign(const char *dir) {
  edgesec_err err;
  edgesec_keys *keys = NULL;
  if (edgesec_keys_open(NULL, &keys, &err) != EDGESEC_CODE_OK) {
    fprintf(stderr, "FAIL: keys_open: %s\n", err.message);
    return 1;
  }
  unsigned char message[4096];
  size_t len = read_file(dir, "message", message, sizeof message);
  CHECK(len > 0, "cannot read %s/message", dir);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  CHECK(EVP_Digest(message, len, digest, &digest_len, EVP_sha256(), NULL) == 1, "EVP_Digest");
  sign_digest(keys, dir, "sdk-ec", "ec-p256", EDGESEC_SIGN_ECDSA, digest, digest_len);
  sign_digest(keys, dir, "sdk-rsa", "rsa-2048", EDGESEC_SIGN_RSA_PKCS1_SHA256, digest, digest_len);
  list_keys(keys);
  /* The key outlives the connection it came from. */
  edgesec_keys *other = NULL;
  CHECK(edgesec_keys_open(NULL, &other, &err) == EDGESEC_CODE_OK, "second keys_open");
  EVP_PKEY *early = NULL;
  CHECK(edgesec_keys_load_evp_pkey(other, "sdk-ec", &early, &err) == EDGESEC_CODE_OK, "load_evp_pkey: %s", err.message);
  edgesec_keys_close(other);
  sign_x509(keys, dir, "sdk-ec");
  sign_x509(keys, dir, "sdk-rsa");
  if (early != NULL) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[256];
    size_t sig_len = sizeof sig;
    CHECK(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, early) == 1 &&
              EVP_DigestSign(md, sig, &sig_len, message, len) == 1,
          "EVP_DigestSign after its connection was closed");
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(early);
  }
  bad_calls(keys, dir);
  edgesec_keys_close(keys);
  printf("libedgesec %s\n", edgesec_version());
  return failures == 0 ? 0 : 1;
}

static int run_denied(const char *key_id) {
  edgesec_err err;
  edgesec_keys *keys = NULL;
  if (edgesec_keys_open(NULL, &keys, &err) != EDGESEC_CODE_OK) return 1;
  char *handle = NULL;
  edgesec_code rc = edgesec_keys_get_key_pair(keys, key_id, &handle, &err);
  CHECK(rc == EDGESEC_CODE_UNAUTHORIZED && handle == NULL, "get_key_pair as another uid: %s '%s'",
        edgesec_code_name(rc), err.message);
  CHECK(strstr(err.message, "is not authorized") != NULL, "message: '%s'", err.message);
  EVP_PKEY *pkey = NULL;
  rc = edgesec_keys_load_evp_pkey(keys, key_id, &pkey, &err);
  CHECK(rc == EDGESEC_CODE_UNAUTHORIZED && pkey == NULL, "load_evp_pkey as another uid: %s '%s'",
        edgesec_code_name(rc), err.message);
  printf("denied: %s\n", err.message);
  edgesec_keys_close(keys);
  return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "sign") == 0) return run_sign(argv[2]);
  if (argc == 3 && strcmp(argv[1], "denied") == 0) return run_denied(argv[2]);
  fprintf(stderr, "usage: sdk_client sign OUTDIR | sdk_client denied KEY_ID\n");
  return 2;
}

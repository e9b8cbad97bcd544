/* The SDK's certificates and identity APIs against the three real daemons (sdk_services_test.sh
 * starts them with `edgectl up --root` and verifies what this writes with openssl). C, linked
 * against libedgesec like any client; sockets from $EDGESEC_{KEYD,CERTD,IDENTITYD,WORKLOAD}_SOCKET.
 *
 *   sdk-services OUTDIR
 *
 * Writes into OUTDIR: device.sig (message signed with the device identity's key handle),
 * device.pem (its cert through edgesec_certs_get), bundle.pem (identityd's trust bundle),
 * workload-bundle.pem, edgehub.key.pem + edgehub.cert.pem (a module server cert), sdk-leaf.pem
 * (issued by the Edge CA from a CSR that keyd's key signed through the EVP_PKEY). Exit 0 when every
 * in-program check passed; each failure is named on stderr.
 */
#include <edgesec/edgesec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static const char *out_dir;

#define CHECK(cond, ...)                     \
  do {                                       \
    if (!(cond)) {                           \
      fprintf(stderr, "FAIL: " __VA_ARGS__); \
      fprintf(stderr, "\n");                 \
      failures++;                            \
    }                                        \
  } while (0)

static void write_out(const char *name, const void *data, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", out_dir, name);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL && fwrite(data, 1, len, f) == len, "writing %s", path);
  if (f != NULL) fclose(f);
}

static void identity(edgesec_keys *keys, edgesec_certs *certs) {
  edgesec_err err;
  edgesec_identity *id = NULL;
  CHECK(edgesec_identity_open(NULL, &id, &err) == EDGESEC_CODE_OK, "identity_open: %s", err.message);
  edgesec_identity_info *info = NULL;
  edgesec_code rc = edgesec_identity_get(id, &info, &err);
  CHECK(rc == EDGESEC_CODE_OK, "identity_get: %s '%s'", edgesec_code_name(rc), err.message);
  if (info != NULL) {
    printf("identity: type %s, device %s, cert %s\n", info->type, info->device_id, info->cert_id);
    CHECK(strcmp(info->type, "aziot") == 0 && strcmp(info->device_id, "gateway-01") == 0 &&
              strcmp(info->cert_id, "device-id") == 0 && info->key_handle[0] != '\0' &&
              info->module_id[0] == '\0' && info->private_key_pem[0] == '\0',
          "device identity fields");
    const char message[] = "proof of possession";
    unsigned char digest[32];
    unsigned int digest_len = 0;
    EVP_Digest(message, strlen(message), digest, &digest_len, EVP_sha256(), NULL);
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    rc = edgesec_keys_sign(keys, info->key_handle, EDGESEC_SIGN_ECDSA, digest, digest_len, &sig, &sig_len, &err);
    CHECK(rc == EDGESEC_CODE_OK, "sign with the identity's key handle: %s", err.message);
    if (rc == EDGESEC_CODE_OK) write_out("device.sig", sig, sig_len);
    edgesec_free(sig);
    char *pem = NULL;
    rc = edgesec_certs_get(certs, info->cert_id, &pem, &err);
    CHECK(rc == EDGESEC_CODE_OK, "certs_get %s: %s", info->cert_id, err.message);
    if (pem != NULL) write_out("device.pem", pem, strlen(pem));
    edgesec_free(pem);
    edgesec_identity_info_free(info);
  }
  char *bundle = NULL;
  rc = edgesec_identity_trust_bundle(id, &bundle, &err);
  CHECK(rc == EDGESEC_CODE_OK && strstr(bundle, "BEGIN CERTIFICATE") != NULL, "identity trust bundle: %s", err.message);
  if (rc == EDGESEC_CODE_OK) write_out("bundle.pem", bundle, strlen(bundle));
  edgesec_free(bundle);
  edgesec_identity_close(id);
}

static void workload(void) {
  edgesec_err err;
  edgesec_workload *w = NULL;
  CHECK(edgesec_workload_open(NULL, &w, &err) == EDGESEC_CODE_OK, "workload_open: %s", err.message);
  edgesec_issued_cert *cert = NULL;
  edgesec_code rc = edgesec_workload_server_cert(w, "edgehub", "1", "edgegateway.local", NULL, &cert, &err);
  CHECK(rc == EDGESEC_CODE_OK, "workload server cert: %s '%s'", edgesec_code_name(rc), err.message);
  if (cert != NULL) {
    CHECK(cert->expiration[0] != '\0', "the server cert has no expiration");
    write_out("edgehub.key.pem", cert->private_key_pem, strlen(cert->private_key_pem));
    write_out("edgehub.cert.pem", cert->certificate_pem, strlen(cert->certificate_pem));
    edgesec_issued_cert_free(cert);
  }
  rc = edgesec_workload_server_cert(w, "edgehub", "1", "", NULL, &cert, &err);
  CHECK(rc == EDGESEC_CODE_INVALID_ARGUMENT && strstr(err.message, "common_name") != NULL,
        "an empty common name: %s '%s'", edgesec_code_name(rc), err.message);
  char *bundle = NULL;
  rc = edgesec_workload_trust_bundle(w, &bundle, &err);
  CHECK(rc == EDGESEC_CODE_OK, "workload trust bundle: %s", err.message);
  if (rc == EDGESEC_CODE_OK) write_out("workload-bundle.pem", bundle, strlen(bundle));
  edgesec_free(bundle);
  edgesec_workload_close(w);
}

/* A CSR signed by keyd's key `key_id` through the EVP_PKEY, as PEM (edgesec_free'd by the caller
 * — here plain malloc memory of this program). */
static char *csr_for(edgesec_keys *keys, const char *key_id) {
  edgesec_err err;
  EVP_PKEY *pkey = NULL;
  if (edgesec_keys_load_evp_pkey(keys, key_id, &pkey, &err) != EDGESEC_CODE_OK) {
    CHECK(0, "load_evp_pkey %s: %s", key_id, err.message);
    return NULL;
  }
  X509_REQ *req = X509_REQ_new();
  X509_NAME *name = X509_REQ_get_subject_name(req);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sdk-leaf", -1, -1, 0);
  X509_REQ_set_pubkey(req, pkey);
  CHECK(X509_REQ_sign(req, pkey, EVP_sha256()) > 0, "X509_REQ_sign with keyd's key");
  BIO *bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char *data = NULL;
  long len = BIO_get_mem_data(bio, &data);
  char *pem = (char *)calloc(1, (size_t)len + 1);
  memcpy(pem, data, (size_t)len);
  BIO_free(bio);
  X509_REQ_free(req);
  EVP_PKEY_free(pkey);
  return pem;
}

static int listed(edgesec_certs *certs, const char *cert_id) {
  edgesec_err err;
  edgesec_cert_list *list = NULL;
  int found = 0;
  CHECK(edgesec_certs_list(certs, &list, &err) == EDGESEC_CODE_OK, "certs_list: %s", err.message);
  for (size_t i = 0; list != NULL && i < list->count; i++) {
    if (strcmp(list->certs[i].cert_id, cert_id) == 0) {
      found = 1;
      CHECK(strstr(list->certs[i].subject, "sdk-leaf") != NULL && list->certs[i].sha256[0] != '\0' &&
                list->certs[i].not_after[0] != '\0',
            "list entry of %s: subject '%s'", cert_id, list->certs[i].subject);
    }
  }
  edgesec_cert_list_free(list);
  return found;
}

static void certificates(edgesec_keys *keys, edgesec_certs *certs) {
  edgesec_err err;
  char *handle = NULL;
  CHECK(edgesec_keys_create_key_pair(keys, "sdk-leaf", "ec-p256", &handle, &err) == EDGESEC_CODE_OK,
        "create_key_pair sdk-leaf: %s", err.message);
  edgesec_free(handle);
  char *csr = csr_for(keys, "sdk-leaf");
  if (csr == NULL) return;
  char *pem = NULL;
  edgesec_code rc = edgesec_certs_issue(certs, "sdk-leaf", csr, "edge-ca", NULL, &pem, &err);
  CHECK(rc == EDGESEC_CODE_OK, "certs_issue sdk-leaf by edge-ca: %s '%s'", edgesec_code_name(rc), err.message);
  free(csr);
  if (pem == NULL) return;
  write_out("sdk-leaf.pem", pem, strlen(pem));
  CHECK(listed(certs, "sdk-leaf"), "certs_list does not show sdk-leaf");
  char *stored = NULL;
  rc = edgesec_certs_import(certs, "sdk-imported", pem, &stored, &err);
  CHECK(rc == EDGESEC_CODE_OK, "certs_import: %s '%s'", edgesec_code_name(rc), err.message);
  edgesec_free(stored);
  char *got = NULL;
  rc = edgesec_certs_get(certs, "sdk-imported", &got, &err);
  CHECK(rc == EDGESEC_CODE_OK && strstr(pem, got) == pem, "certs_get sdk-imported: %s", err.message);
  edgesec_free(got);
  got = NULL;
  rc = edgesec_certs_delete(certs, "sdk-imported", &err);
  CHECK(rc == EDGESEC_CODE_OK, "certs_delete: %s", err.message);
  rc = edgesec_certs_get(certs, "sdk-imported", &got, &err);
  CHECK(rc == EDGESEC_CODE_NOT_FOUND && got == NULL, "certs_get after delete: %s '%s'", edgesec_code_name(rc), err.message);
  rc = edgesec_certs_import(certs, "sdk-bad", "not a certificate", NULL, &err);
  CHECK(rc == EDGESEC_CODE_INVALID_ARGUMENT, "certs_import of garbage: %s '%s'", edgesec_code_name(rc), err.message);
  rc = edgesec_certs_issue(certs, "sdk-x", NULL, NULL, "handle", &pem, &err);
  CHECK(rc == EDGESEC_CODE_INVALID_ARGUMENT, "issue with a key handle and no issuer: %s", edgesec_code_name(rc));
  edgesec_free(pem);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sdk-services OUTDIR\n");
    return 2;
  }
  out_dir = argv[1];
  edgesec_err err;
  edgesec_keys *keys = NULL;
  edgesec_certs *certs = NULL;
  if (edgesec_keys_open(NULL, &keys, &err) != EDGESEC_CODE_OK ||
      edgesec_certs_open(NULL, &certs, &err) != EDGESEC_CODE_OK) {
    fprintf(stderr, "FAIL: open: %s\n", err.message);
    return 1;
  }
  identity(keys, certs);
  workload();
  certificates(keys, certs);
  edgesec_certs_close(certs);
  edgesec_keys_close(keys);
  return failures == 0 ? 0 : 1;
}

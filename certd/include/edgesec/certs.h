/* libedgesec: certificates held by edgesec-certd (API.md, "Certificates"), from C and C++.
 * Certificates are PEM text (leaf first, then its chain). Conventions (errors, freeing, threads):
 * <edgesec/common.h>.
 */
#ifndef EDGESEC_CERTS_H
#define EDGESEC_CERTS_H

#include <edgesec/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A connection to certd. */
typedef struct edgesec_certs edgesec_certs;

/* socket_path: certd's socket; NULL means $EDGESEC_CERTD_SOCKET when set and not empty, else
 * /run/edgesec/certd.sock. Opening does not connect. Close with edgesec_certs_close. */
EDGESEC_API edgesec_code edgesec_certs_open(const char *socket_path, edgesec_certs **out,
                                            edgesec_err *err);
EDGESEC_API void edgesec_certs_close(edgesec_certs *certs);

/* The stored certificate `cert_id` (EDGESEC_CODE_NOT_FOUND when there is none). */
EDGESEC_API edgesec_code edgesec_certs_get(edgesec_certs *certs, const char *cert_id, char **pem,
                                           edgesec_err *err);

/* Issues and stores `cert_id` (POST /certificates).
 * csr_pem: a PEM CSR; NULL for a credential of certd's config, whose key and CSR certd makes.
 * issuer_cert_id: NULL for the credential's configured method (self-signed, local CA, EST), else
 * the certificate that signs it; issuer_key_handle: NULL for the issuer's recorded key, else keyd's
 * handle of the issuer key. *pem: the issued leaf and its chain. */
EDGESEC_API edgesec_code edgesec_certs_issue(edgesec_certs *certs, const char *cert_id,
                                             const char *csr_pem, const char *issuer_cert_id,
                                             const char *issuer_key_handle, char **pem,
                                             edgesec_err *err);

/* Stores `pem` (a certificate and optionally its chain) under `cert_id`, replacing what was there.
 * stored_pem may be NULL; else it gets what certd stored. */
EDGESEC_API edgesec_code edgesec_certs_import(edgesec_certs *certs, const char *cert_id,
                                              const char *pem, char **stored_pem,
                                              edgesec_err *err);

EDGESEC_API edgesec_code edgesec_certs_delete(edgesec_certs *certs, const char *cert_id,
                                              edgesec_err *err);

/* One stored certificate (GET /certificates). Times are RFC 3339; key_id is "" when no
 * credential names the key. */
typedef struct edgesec_cert_info {
  char *cert_id;
  char *subject;
  char *issuer;
  char *not_before;
  char *not_after;
  char *sha256; /* "AB:CD:..." */
  char *key_id;
} edgesec_cert_info;

typedef struct edgesec_cert_list {
  size_t count;
  edgesec_cert_info *certs;
} edgesec_cert_list;

EDGESEC_API edgesec_code edgesec_certs_list(edgesec_certs *certs, edgesec_cert_list **out,
                                            edgesec_err *err);
EDGESEC_API void edgesec_cert_list_free(edgesec_cert_list *list);

#ifdef __cplusplus
}
#endif

#endif /* EDGESEC_CERTS_H */

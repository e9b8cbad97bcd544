/* libedgesec: identities held by edgesec-identityd (API.md, "Identity" and "Workload"), from C and
 * C++: the caller's identity (the device's for identityd's own principals, a module's local
 * identity for a module's uid), the trust bundle, and a module's TLS server certificate from IoT
 * Edge's workload API. Conventions (errors, freeing, threads): <edgesec/common.h>.
 */
#ifndef EDGESEC_IDENTITY_H
#define EDGESEC_IDENTITY_H

#include <edgesec/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A connection to identityd's identity API. */
typedef struct edgesec_identity edgesec_identity;

/* socket_path: NULL means $EDGESEC_IDENTITYD_SOCKET when set and not empty, else
 * /run/edgesec/identityd.sock. Opening does not connect. Close with edgesec_identity_close. */
EDGESEC_API edgesec_code edgesec_identity_open(const char *socket_path, edgesec_identity **out,
                                               edgesec_err *err);
EDGESEC_API void edgesec_identity_close(edgesec_identity *identity);

/* The caller's identity (GET /identities/identity). Fields that do not apply are "" (never NULL).
 * type "aziot": the device; device_id, and key_handle (keyd) + cert_id (certd) of its X.509
 * credential. type "local": a module; module_id, and its credential as PEM (private_key_pem holds
 * the module's private key: edgesec_identity_info_free wipes it). */
typedef struct edgesec_identity_info {
  char *type;
  char *device_id;
  char *key_handle;
  char *cert_id;
  char *module_id;
  char *private_key_pem;
  char *certificate_pem;
  char *expiration;
} edgesec_identity_info;

EDGESEC_API edgesec_code edgesec_identity_get(edgesec_identity *identity,
                                              edgesec_identity_info **out, edgesec_err *err);
EDGESEC_API void edgesec_identity_info_free(edgesec_identity_info *info);

/* The trust bundle (PEM certificates) every module and the device trust. */
EDGESEC_API edgesec_code edgesec_identity_trust_bundle(edgesec_identity *identity, char **pem,
                                                       edgesec_err *err);

/* A connection to IoT Edge's workload API (identityd's workload socket). socket_path: NULL means
 * $EDGESEC_WORKLOAD_SOCKET when set and not empty, else /run/edgesec/workload.sock. */
typedef struct edgesec_workload edgesec_workload;

EDGESEC_API edgesec_code edgesec_workload_open(const char *socket_path, edgesec_workload **out,
                                               edgesec_err *err);
EDGESEC_API void edgesec_workload_close(edgesec_workload *workload);

/* A TLS server certificate from the Edge CA. */
typedef struct edgesec_issued_cert {
  char *private_key_pem; /* PKCS#8; wiped by edgesec_issued_cert_free */
  char *certificate_pem; /* leaf + chain */
  char *expiration;      /* RFC 3339 */
} edgesec_issued_cert;

/* POST /modules/{module_id}/genid/{gen_id}/certificate/server. expiration: NULL for the default
 * validity, else an RFC 3339 time (honoured when earlier than the default). */
EDGESEC_API edgesec_code edgesec_workload_server_cert(edgesec_workload *workload,
                                                      const char *module_id, const char *gen_id,
                                                      const char *common_name,
                                                      const char *expiration,
                                                      edgesec_issued_cert **out,
                                                      edgesec_err *err);
EDGESEC_API void edgesec_issued_cert_free(edgesec_issued_cert *cert);

/* The workload API's trust bundle (PEM). */
EDGESEC_API edgesec_code edgesec_workload_trust_bundle(edgesec_workload *workload, char **pem,
                                                       edgesec_err *err);

#ifdef __cplusplus
}
#endif

#endif /* EDGESEC_IDENTITY_H */

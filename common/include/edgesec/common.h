/* libedgesec, the edgesec client SDK: what every part of it shares (result codes, the error
 * record, freeing, the library's version). Include <edgesec/edgesec.h> for everything.
 *
 * Conventions of every libedgesec function:
 *  - returns an edgesec_code; on anything but EDGESEC_CODE_OK it fills *err (when err is not NULL)
 *    with the same code and a NUL-terminated message naming what failed (the daemon's own message
 *    when the daemon refused), and leaves every output untouched;
 *  - strings and byte buffers it returns are allocated by the library: free them with edgesec_free()
 *    (strings are NUL-terminated); structures it returns have their own *_free function;
 *  - handles (edgesec_keys, edgesec_certs, ...) may be used from several threads at once; each
 *    call is one request to the daemon over its Unix socket, checked against the caller's uid.
 *
 * These names differ from key_engine.h's (edgesec_status, edgesec_error): that header is the ABI a
 * key engine implements inside keyd, this one the API a client program calls.
 */
#ifndef EDGESEC_COMMON_H
#define EDGESEC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGESEC_SDK_VERSION_MAJOR 0
#define EDGESEC_SDK_VERSION_MINOR 1

#if defined(__GNUC__)
#define EDGESEC_API __attribute__((visibility("default")))
#else
#define EDGESEC_API
#endif

typedef enum edgesec_code {
  EDGESEC_CODE_OK = 0,
  EDGESEC_CODE_INVALID_ARGUMENT = 1, /* the caller passed something wrong (the message says what) */
  EDGESEC_CODE_UNAUTHORIZED = 2,     /* the daemon refused: this uid may not use that key or cert */
  EDGESEC_CODE_NOT_FOUND = 3,        /* no such key, certificate or identity */
  EDGESEC_CODE_UNAVAILABLE = 4,      /* the daemon cannot be reached or asked to try again later */
  EDGESEC_CODE_UNSUPPORTED = 5,      /* the key cannot do this (algorithm, mechanism) */
  EDGESEC_CODE_FAILED = 6            /* anything else: the daemon failed, OpenSSL, memory */
} edgesec_code;

#define EDGESEC_MESSAGE_MAX 512

typedef struct edgesec_err {
  edgesec_code code;
  char message[EDGESEC_MESSAGE_MAX];
} edgesec_err;

/* "ok", "invalid-argument", "unauthorized", "not-found", "unavailable", "unsupported", "failed";
 * "unknown" for any other value. A static string. */
EDGESEC_API const char *edgesec_code_name(edgesec_code code);

/* The library's version, e.g. "0.1.0". A static string. */
EDGESEC_API const char *edgesec_version(void);

/* Frees a string or byte buffer returned by libedgesec (NULL is ignored). Buffers that held secret
 * material have their own free function that wipes them first. */
EDGESEC_API void edgesec_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* EDGESEC_COMMON_H */

/* libedgesec, the edgesec client SDK: everything in one include.
 *
 *   cc prog.c $(pkg-config --cflags --libs edgesec)
 *
 * <edgesec/common.h>    result codes, edgesec_err, edgesec_free, edgesec_version
 * <edgesec/keys.h>      keyd: key pairs, signing, the remote-key EVP_PKEY
 * <edgesec/certs.h>     certd: get, issue, import, delete, list certificates
 * <edgesec/identity.h>  identityd: the caller's identity, trust bundle, module server certs
 *
 * (<edgesec/key_engine.h>, also installed, is the ABI of a key engine loaded by keyd, not part of
 * the client API.)
 */
#ifndef EDGESEC_EDGESEC_H
#define EDGESEC_EDGESEC_H

#include <edgesec/common.h>
#include <edgesec/certs.h>
#include <edgesec/identity.h>
#include <edgesec/keys.h>

#endif /* EDGESEC_EDGESEC_H */

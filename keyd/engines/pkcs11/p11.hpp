#pragma once
// The PKCS#11 header, in p11-kit's GNU spelling (struct ck_attribute {type, value, value_len}): its
// default "compat" spelling #defines words such as `value`, `count` and `params`, which would
// rewrite any C++ after it. uri.cpp is the one file that includes p11-kit's URI parser (compat
// spelling).
#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

#include <string>

#include "common/error.hpp"

namespace edgesec::keyd::engines::pkcs11 {

// "CKR_PIN_INCORRECT", or "CKR_0x…" for a value this list does not name.
std::string RvName(ck_rv_t rv);

// Errors after which the module is finalized, initialized again and the request retried once: the
// token went away (and may be back), or the module lost its state.
bool IsRecoverable(ck_rv_t rv);

// The PKCS#11 return value of the last failed call made through Check() on this thread; CKR_OK when
// none. Token::Run reads it to decide whether to reopen the module.
ck_rv_t LastFailure();
void ResetLastFailure();

// kInternal "<what> failed: CKR_…" unless rv is CKR_OK; records rv for LastFailure().
Status Check(ck_rv_t rv, const std::string& what);

}  // namespace edgesec::keyd::engines::pkcs11

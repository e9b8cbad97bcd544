#pragma once
// tss2 in the project's RAII style: the ESYS context and the TCTI it runs on, and one pointer type
// for every structure ESYS hands back (all freed with Esys_Free), plus the mapping of TSS2_RC codes
// to Errors. No call site spells a deleter.

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <memory>
#include <string>

#include "common/error.hpp"

namespace edgesec::keyd::engines::tpm {

struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};
// Any output structure of an Esys_* call (TPM2B_PUBLIC, TPMT_SIGNATURE, …).
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

struct EsysContextDeleter {
  void operator()(ESYS_CONTEXT* p) const { Esys_Finalize(&p); }
};
using EsysContextPtr = std::unique_ptr<ESYS_CONTEXT, EsysContextDeleter>;

struct TctiDeleter {
  void operator()(TSS2_TCTI_CONTEXT* p) const { Tss2_TctiLdr_Finalize(&p); }
};
using TctiPtr = std::unique_ptr<TSS2_TCTI_CONTEXT, TctiDeleter>;

// "0x0000098e (tpm:session(1):the authorization HMAC check failed and DA counter incremented)"
std::string RcText(TSS2_RC rc);
// The connection to the TPM failed (TCTI layer, or ESYS/SYS reporting I/O): reconnecting may help.
bool IsConnectionError(TSS2_RC rc);
// The authorization value was wrong (TPM2_RC_AUTH_FAIL, TPM2_RC_BAD_AUTH, on any session/handle).
bool IsAuthError(TSS2_RC rc);
// An Error for a failed Esys_* call: kIo for connection errors (so that the caller reconnects),
// kInternal otherwise; `what` says what was being done.
Error TpmError(const std::string& what, TSS2_RC rc);

}  // namespace edgesec::keyd::engines::tpm

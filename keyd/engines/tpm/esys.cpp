#include "keyd/engines/tpm/esys.hpp"

#include <tss2/tss2_rc.h>

#include <cstdio>

namespace edgesec::keyd::engines::tpm {

std::string RcText(TSS2_RC rc) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", rc);
  const char* decoded = Tss2_RC_Decode(rc);
  return std::string(hex) + (decoded ? std::string(" (") + decoded + ")" : "");
}

bool IsConnectionError(TSS2_RC rc) {
  if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER) return true;
  TSS2_RC base = rc & 0xFFFF;
  TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  bool tss_layer =
      layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER || layer == TSS2_RESMGR_RC_LAYER;
  return tss_layer &&
         (base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION ||
          base == TSS2_BASE_RC_TRY_AGAIN || base == TSS2_BASE_RC_BAD_SEQUENCE ||
          base == TSS2_BASE_RC_MALFORMED_RESPONSE || base == TSS2_BASE_RC_INSUFFICIENT_RESPONSE);
}

bool IsAuthError(TSS2_RC rc) {
  if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER) return false;
  // Format-one codes carry the session/handle number in bits 8-11; strip it to compare.
  TSS2_RC code = (rc & TPM2_RC_FMT1) ? (rc & (0x3F | TPM2_RC_FMT1)) : rc;
  return code == TPM2_RC_AUTH_FAIL || code == TPM2_RC_BAD_AUTH;
}

Error TpmError(const std::string& what, TSS2_RC rc) {
  if (IsConnectionError(rc))
    return MakeError(ErrorKind::kIo, what + ": the connection to the TPM failed", RcText(rc));
  return MakeError(ErrorKind::kInternal, what + ": the TPM said " + RcText(rc), RcText(rc));
}

}  // namespace edgesec::keyd::engines::tpm

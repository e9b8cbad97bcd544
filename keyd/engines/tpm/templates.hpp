#pragma once
// Public-area templates of the objects the engine creates.

#include <tss2/tss2_tpm2_types.h>

#include <optional>
#include <string>

namespace edgesec::keyd::engines::tpm {

// The storage primary: ECC P-256, restricted decrypt, AES-128-CFB (the TCG's ECC SRK template).
TPM2B_PUBLIC PrimaryTemplate();
// "ec-p256" (sign) or "rsa-2048" (sign and decrypt, scheme NULL, so that TPM2_Sign takes any scheme
// and TPM2_RSA_Decrypt with scheme NULL gives the raw private operation); nullopt for others.
std::optional<TPM2B_PUBLIC> KeyPairTemplate(const std::string& algorithm);
// An HMAC-SHA256 keyed-hash object; `generated`: the TPM makes the key bytes.
TPM2B_PUBLIC HmacTemplate(bool generated);
// Whether a public area is a storage parent (restricted decrypt), as a persistent primary must be.
bool IsStorageKey(const TPMT_PUBLIC& pub);

}  // namespace edgesec::keyd::engines::tpm

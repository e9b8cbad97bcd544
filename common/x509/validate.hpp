#pragma once
// Import validation (DESIGN.md, "Certificate service"): refusals name the reason in plain words —
// "expired", "not yet valid" (5 minutes of clock skew allowed), "key too small" (RSA < 2048, EC <
// 256), "key does not match", "not a CA", "chain does not link" (each certificate after the leaf
// issued the one before it: names and signature). Certificates already on the device are never
// validated at load.

#include <cstdint>

#include "common/x509/pem.hpp"

namespace edgesec::x509 {

inline constexpr int64_t kClockSkewSeconds = 5 * 60;

// Dates and key sizes of every certificate of the chain, each link of it; `key`, when given, must be the leaf's.
// kInvalidParameter whose message starts with the reason.
Status ValidateForImport(const Chain& chain, int64_t now, EVP_PKEY* key = nullptr);
// Dates of one certificate ("expired" / "not yet valid").
Status CheckValidity(X509* cert, int64_t now);
// RSA >= 2048, EC >= 256 bits.
Status CheckKeyStrength(X509* cert);
// basicConstraints CA:TRUE and, when keyUsage is present, keyCertSign.
Status CheckIssuingCa(X509* cert);
// `issuer` issued `subject` (names, key identifiers) and its key verifies `subject`'s signature
// ("chain does not link"); `position` is the issuer's index in the chain, for the message.
Status CheckIssued(X509* issuer, X509* subject, size_t position);
// The public key of `cert` equals `key`'s ("key does not match").
Status CheckKeyMatches(X509* cert, EVP_PKEY* key);

}  // namespace edgesec::x509

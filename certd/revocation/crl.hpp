#pragma once
// Revocation lists of the certs certd holds (docs/certd.md, "Revocation"): where a cert's CRLs
// are (its CRL distribution points), decoding fetched bytes (DER or PEM), and the checks that make
// a CRL count — signed by the cert's issuer, the issuer's name, thisUpdate not in the future. Pure
// functions: no I/O, no clock of their own.
// Errors: kInvalidParameter, saying why (not a CRL, wrong issuer, bad signature, ...).

#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"

namespace edgesec {
// X509_CRL's one RAII line: here rather than in common/ossl.hpp while only certd uses it.
template <>
struct Deleter<X509_CRL> {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
}  // namespace edgesec

namespace edgesec::certd::revocation {

using CrlPtr = UniquePtr<X509_CRL>;

// The biggest CRL or OCSP answer certd reads (a fetch that grows past it is abandoned).
inline constexpr size_t kMaxFetchBytes = 1 << 20;
// Clock skew allowed on thisUpdate.
inline constexpr int64_t kSkewSeconds = 300;

// The http:// and https:// URIs of `cert`'s CRL distribution points (full names), in order,
// without duplicates. Other schemes (ldap:) are left out.
std::vector<std::string> CrlUrls(X509* cert);

// DER, or PEM ("-----BEGIN X509 CRL-----"). kInvalidParameter: empty, garbage, trailing bytes.
Expected<CrlPtr> ParseCrl(std::string_view bytes);
// DER of `crl` (what the cache keeps).
Expected<std::string> CrlToDer(X509_CRL* crl);

struct CrlTimes {
  int64_t this_update = 0;
  std::optional<int64_t> next_update;
};
Expected<CrlTimes> TimesOf(X509_CRL* crl);

// Whether `crl` counts for certs issued by `issuer` at `now`: its issuer name is the issuer's
// subject, its signature verifies with the issuer's public key, the issuer may sign CRLs
// (keyUsage, when present, has cRLSign) and thisUpdate is not more than kSkewSeconds ahead of
// `now`. A nextUpdate in the past is not an error here (the CRL is stale, not forged).
Status VerifyCrl(X509_CRL* crl, X509* issuer, int64_t now);

struct RevokedEntry {
  int64_t at = 0;
  std::string reason;  // "unspecified", "keyCompromise", ... (RFC 5280 CRLReason names)
};
// The entry of `cert`'s serial in `crl`; nullopt when it is not listed (removeFromCRL: not listed).
std::optional<RevokedEntry> FindRevoked(X509_CRL* crl, X509* cert);

// The RFC 5280 name of a CRLReason code ("unspecified" for an unknown one).
std::string ReasonName(int code);

// The cert in `candidates` that issued `cert` (name and signature), or null.
X509* FindIssuer(X509* cert, const std::vector<X509*>& candidates);

}  // namespace edgesec::certd::revocation

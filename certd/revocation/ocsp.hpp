#pragma once
// OCSP (RFC 6960) for the certs certd holds (docs/certd.md, "Revocation"): the responders a cert
// names (authorityInfoAccess), the request, and the checks that make an answer count — a successful
// basic response, signed by the cert's issuer or by a responder cert the issuer issued with
// id-kp-OCSPSigning, about this cert (the CertID), thisUpdate not in the future and nextUpdate not
// past (5 minutes of skew). No nonce (optional in RFC 6960; answers may be cached by responders).
// Errors: kInvalidParameter, saying why.

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace edgesec::certd::revocation {

// The http:// and https:// OCSP responder URIs of `cert`, in order.
std::vector<std::string> OcspUrls(X509* cert);

// DER of an OCSP request for `cert` issued by `issuer` (SHA-1 CertID, as responders expect).
Expected<std::string> BuildOcspRequest(X509* cert, X509* issuer);

struct OcspAnswer {
  std::string state;  // "good", "revoked", "unknown" (the responder does not know the cert)
  int64_t revoked_at = 0;
  std::string reason;  // for revoked
  int64_t this_update = 0;
  std::optional<int64_t> next_update;
};
Expected<OcspAnswer> CheckOcspResponse(std::string_view der, X509* cert, X509* issuer, int64_t now);

}  // namespace edgesec::certd::revocation

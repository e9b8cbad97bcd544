#pragma once
// Certificate and wire times as seconds since the epoch (64-bit: dates past 2038, and
// GeneralizedTime past 2049, work everywhere). The one RFC 3339 parser and formatter of edgesec:
// certd's API (notAfter, renewal times) and the workload API (`expiration`) both use it.

#include <openssl/asn1.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace edgesec::x509 {

// ASN1_TIME (UTCTime or GeneralizedTime) → seconds since the epoch. kInvalidParameter ("garbage:
// a certificate date does not parse") for a null or malformed time.
Expected<int64_t> ToEpoch(const ASN1_TIME* t);

// RFC 3339 in UTC: "2049-12-31T23:59:59Z". Never fails.
std::string Rfc3339(int64_t epoch);

// The inverse: "YYYY-MM-DD(T|t| )hh:mm:ss[.fraction](Z|z|±hh:mm)" → seconds since the epoch
// (fractions dropped). kInvalidParameter, quoting the text, for anything else: no time zone, a
// field out of range, trailing characters.
Expected<int64_t> ParseRfc3339(std::string_view text);

}  // namespace edgesec::x509

#pragma once
// Certificate chains and CSRs in PEM and DER. Garbage is kInvalidParameter saying what was
// expected.

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"

namespace edgesec::certd::x509 {

using Chain = std::vector<X509Ptr>;

// Every CERTIFICATE block of `pem`, in order (leaf first); other blocks are skipped.
// kInvalidParameter "not a PEM certificate chain" when there is none, or when a block does not
// decode.
Expected<Chain> ParsePemChain(std::string_view pem);
// One DER certificate, or a concatenation of them.
Expected<Chain> ParseDerChain(const Bytes& der);
Expected<std::string> ToPem(X509* cert);
Expected<std::string> ChainToPem(const Chain& chain);
Chain CopyChain(const Chain& chain);

// A PEM CERTIFICATE REQUEST (also "NEW CERTIFICATE REQUEST").
Expected<X509ReqPtr> ParseCsrPem(std::string_view pem);

// ASN1_TIME → seconds since the epoch (64-bit: dates past 2038 and GeneralizedTime past 2049 work).
Expected<int64_t> ToEpoch(const ASN1_TIME* t);
// RFC 3339 UTC ("2049-12-31T23:59:59Z").
std::string Rfc3339(int64_t epoch);
// The inverse, also with fractional seconds and ±HH:MM offsets; kInvalidParameter otherwise.
Expected<int64_t> ParseRfc3339(std::string_view text);

}  // namespace edgesec::certd::x509

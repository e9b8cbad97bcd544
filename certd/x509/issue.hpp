#pragma once
// Local issuance from a CSR: the CSR's own signature is checked, the serial is a random positive
// 16-byte number (never 0), SKID/AKID are set, the signature uses SHA-256 (or the key's own scheme
// for Ed25519), notAfter is capped at the issuer's notAfter, extensions come from the profile.

#include <cstdint>

#include "certd/x509/profile.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::certd::x509 {

// kInvalidParameter ("CSR signature does not verify …") for a forged or wrong-key CSR.
Expected<X509ReqPtr> VerifiedCsr(std::string_view pem);

struct IssueInput {
  X509_REQ* csr = nullptr;
  X509* issuer_cert = nullptr;  // nullptr: self-signed (the CSR's key must be `signing_key`)
  EVP_PKEY* signing_key = nullptr;
  const Profile* profile = nullptr;
  int64_t now = 0;
  int64_t not_after = 0;  // when set: used if earlier than the profile's validity
};
Expected<X509Ptr> IssueCertificate(const IssueInput& in);

// 16 random bytes with the top bit clear and never all zero.
Expected<Bytes> RandomSerial();

}  // namespace edgesec::certd::x509

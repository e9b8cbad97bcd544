#pragma once
// The one CSR builder of edgesec: from a subject and SANs (certd's credentials, EST enrollment,
// identityd's module certs), or for re-enrollment from the current certificate (RFC 7030 4.2.2:
// subject and subjectAltName identical). The key may be any EVP_PKEY, including the keyd-backed one
// of keyd::LoadRemoteKey (X509_REQ_sign then calls keyd). What an EST server asks for in /csrattrs
// (digest, key type, extensions) is honoured when given.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"

namespace edgesec::x509 {

// /csrattrs (RFC 7030 4.5.2, RFC 9908 style key attributes): what the server wants in the CSR.
// Decoded by certd/est/decode.hpp.
struct CsrAttrs {
  bool challenge_password = false;
  std::optional<int> key_type;  // EVP_PKEY_EC or EVP_PKEY_RSA
  std::string curve;            // e.g. "secp384r1" (OpenSSL short name)
  int rsa_bits = 0;
  std::string digest;                                 // e.g. "SHA384"; empty: no preference
  std::vector<std::string> requested_extension_oids;  // extensionRequest values that are OIDs
  std::vector<Bytes> requested_extensions;            // extensionRequest values that are Extensions
  std::vector<std::string> other_oids;                // anything else, dotted
};

struct CsrSpec {
  std::vector<std::pair<std::string, std::string>> subject;  // {"CN", "device-1"}, {"O", "Example"}
  std::vector<std::string> sans;  // "DNS:device-1.example", "IP:10.0.0.1"
  EVP_PKEY* key = nullptr;        // signs the CSR; not owned
  std::optional<Secret> challenge_password;
  const CsrAttrs* attrs = nullptr;  // /csrattrs: digest and requested extensions
};

// SHA-256 (the key's own scheme for Ed25519) unless `attrs` asks for another digest.
// kInvalidParameter for a missing key, no subject and no SAN, a bad subject field or SAN; kCrypto
// when signing fails.
Expected<X509ReqPtr> BuildCsr(const CsrSpec& spec);
// Subject and subjectAltName copied from `current`; signed by `key` (the same key or a new one).
Expected<X509ReqPtr> BuildReenrollCsr(X509* current, EVP_PKEY* key, const CsrAttrs* attrs = nullptr,
                                      const Secret* challenge_password = nullptr);

// A fresh private key of the type /csrattrs asks for (default: EC P-256). kCrypto on failure.
Expected<EvpPkeyPtr> GenerateKeyFor(const CsrAttrs* attrs);
// Whether `key` satisfies the key type and curve that /csrattrs asks for.
bool KeyMatchesAttrs(EVP_PKEY* key, const CsrAttrs& attrs);

}  // namespace edgesec::x509

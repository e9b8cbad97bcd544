#pragma once
// CSRs for EST: built from a subject and SANs, or for re-enrollment from the current certificate
// (RFC 7030 4.2.2: subject and subjectAltName identical). The key may be any EVP_PKEY, including
// the keyd-backed one of keyd::LoadRemoteKey (X509_REQ_sign then calls keyd).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "certd/est/decode.hpp"
#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"

namespace edgesec::certd::est {

struct CsrSpec {
  std::vector<std::pair<std::string, std::string>> subject;  // {"CN", "device-1"}, {"O", "Example"}
  std::vector<std::string> sans;  // "DNS:device-1.example", "IP:10.0.0.1"
  EVP_PKEY* key = nullptr;        // signs the CSR; not owned
  std::optional<Secret> challenge_password;
  const CsrAttrs* attrs = nullptr;  // /csrattrs: digest and requested extensions
};

// kInvalidParameter for a bad subject field or SAN, kCrypto when signing fails.
Expected<X509ReqPtr> BuildCsr(const CsrSpec& spec);
// Subject and subjectAltName copied from `current`; signed by `key` (the same key or a new one).
Expected<X509ReqPtr> BuildReenrollCsr(X509* current, EVP_PKEY* key, const CsrAttrs* attrs = nullptr,
                                      const Secret* challenge_password = nullptr);

// A fresh private key of the type /csrattrs asks for (default: EC P-256).
Expected<EvpPkeyPtr> GenerateKeyFor(const CsrAttrs* attrs);
// Whether `key` satisfies the key type and curve that /csrattrs asks for.
bool KeyMatchesAttrs(EVP_PKEY* key, const CsrAttrs& attrs);

// The conservative wire form: base64 of the DER in 64-column lines with LF.
Expected<std::string> EncodeCsrBody(X509_REQ* req);

}  // namespace edgesec::certd::est

#pragma once
// Pure decoders for EST responses (RFC 7030, RFC 8951): bytes + content type in, result out, no
// I/O, so that they are fuzzable (tests/fuzz/fuzz_est_decode.cpp). Tolerant by design: field EST
// servers differ in line breaks, CRLF, PEM armour, content-type parameters and whether the chain is
// included. Every decoder returns kUnprocessable with a message that says what was wrong.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"
#include "common/x509/csr.hpp"

namespace edgesec::certd::est {

// Base64 that ignores whitespace (space, tab, CR, LF) anywhere and accepts missing padding.
std::optional<Bytes> DecodeBase64Lenient(std::string_view text);
// Base64 of `der` in lines of 64 columns, each ending in LF (the conservative encoding we send).
std::string EncodeBase64Wrapped(const Bytes& der);

// A media type split into its lower-case type/subtype and its parameters (names lower-cased, values
// unquoted).
struct MediaType {
  std::string type;
  std::map<std::string, std::string> params;
};
MediaType ParseMediaType(std::string_view content_type);

// Certificates from a /cacerts, /simpleenroll or /simplereenroll body: a certs-only PKCS#7 in
// base64 (wrapped or not), PEM (PKCS7 or CERTIFICATE blocks), or raw DER; a bare certificate is
// accepted too. Order as received.
Expected<std::vector<X509Ptr>> DecodeCertificates(std::string_view body,
                                                  std::string_view content_type);

// Orders certificates leaf→root by issuer links; certificates that link to nothing go last.
std::vector<X509Ptr> OrderChain(std::vector<X509Ptr> certs);

// One part of a multipart body: header names lower-cased.
struct MimePart {
  std::map<std::string, std::string> headers;
  std::string body;
};
// multipart/* with the boundary from `content_type`; CRLF or LF line ends.
Expected<std::vector<MimePart>> ParseMultipart(std::string_view body,
                                               std::string_view content_type);

// A private key as PKCS#8 DER (wiped on destruction).
struct ServerKeygenResult {
  Secret pkcs8_der;
  std::vector<X509Ptr> chain;  // leaf first
};
// /serverkeygen: multipart/mixed with the key (application/pkcs8, PKCS#8 or PKCS#1, base64 or PEM)
// and the certificate (application/pkcs7-mime). Encrypted keys (smime-type=server-generated-key)
// are refused.
Expected<ServerKeygenResult> DecodeServerKeygen(std::string_view body,
                                                std::string_view content_type);
// A private key in PKCS#8 or PKCS#1 (RSA, EC), DER or PEM, re-encoded as PKCS#8 DER.
Expected<Secret> DecodePrivateKey(const Bytes& der_or_pem);

// /csrattrs (RFC 7030 4.5.2, RFC 9908 style key attributes): what the server wants in the CSR;
// the type is common/x509/csr.hpp's, where the CSR builder uses it.
using ::edgesec::x509::CsrAttrs;
// Body: base64 DER of CsrAttrs (possibly empty: no attributes); whitespace anywhere and a trailing
// run of NUL bytes (some servers pad with them) are ignored.
Expected<CsrAttrs> DecodeCsrAttrs(std::string_view body);
// Same, from the DER itself.
Expected<CsrAttrs> ParseCsrAttrsDer(const Bytes& der);

}  // namespace edgesec::certd::est

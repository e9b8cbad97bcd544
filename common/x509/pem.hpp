#pragma once
// Certificate chains and CSRs in PEM and DER: the one PEM reader of edgesec (certd's store and
// API, the EST decoders, identityd, edgectl). Garbage is kInvalidParameter saying what was
// expected; encoding failures are OpenSSL errors (kCrypto) with the drained error queue.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/x509/time.hpp"

namespace edgesec::x509 {

using Chain = std::vector<X509Ptr>;

// One PEM block: its label ("CERTIFICATE", "PKCS7", …) and its decoded body.
struct PemBlock {
  std::string label;
  Bytes der;
};
// Every PEM block of `text`, in order, up to the first one that does not decode (text between
// blocks is skipped). Never fails: no block is an empty list.
std::vector<PemBlock> ReadPemBlocks(std::string_view text);

// Every CERTIFICATE (and TRUSTED CERTIFICATE) block of `pem`, in order (leaf first); other blocks
// are skipped. kInvalidParameter "garbage: …" when there is none, or when a block does not decode.
Expected<Chain> ParsePemChain(std::string_view pem);
// One DER certificate, or a concatenation of them. kInvalidParameter "garbage: …" otherwise.
Expected<Chain> ParseDerChain(const Bytes& der);
Expected<std::string> ToPem(X509* cert);
Expected<std::string> ChainToPem(const Chain& chain);
Chain CopyChain(const Chain& chain);

// A PEM CERTIFICATE REQUEST (also "NEW CERTIFICATE REQUEST"); kInvalidParameter otherwise.
Expected<X509ReqPtr> ParseCsrPem(std::string_view pem);
// The PEM CERTIFICATE REQUEST of `req`.
Expected<std::string> CsrToPem(X509_REQ* req);

}  // namespace edgesec::x509

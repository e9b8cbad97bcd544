// Fuzz target: the EST response decoders of certd/est/decode.hpp (lenient base64, certs-only PKCS#7 /
// PEM / DER, multipart/mixed, /serverkeygen, CsrAttrs). Properties: no decoder crashes or leaks on any
// input; the conservative encoder's output always decodes back to the bytes it was given and never has
// a line longer than 64 columns; whatever DecodeCertificates accepts, OrderChain keeps in full.
#include <cstdint>
#include <string>
#include <string_view>

#include "certd/est/decode.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::certd::est;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  Bytes raw(data, data + size);

  if (auto bytes = DecodeBase64Lenient(body)) {
    std::string again = EncodeBase64Wrapped(*bytes);
    FUZZ_CHECK(DecodeBase64Lenient(again) == bytes);
  }
  std::string wrapped = EncodeBase64Wrapped(raw);
  size_t line = 0;
  for (char c : wrapped) {
    line = c == '\n' ? 0 : line + 1;
    FUZZ_CHECK(line <= 64);
  }
  auto back = DecodeBase64Lenient(wrapped);
  FUZZ_CHECK(back.has_value() && *back == raw);

  if (auto certs = DecodeCertificates(body, "application/pkcs7-mime; smime-type=certs-only")) {
    FUZZ_CHECK(!certs->empty());
    size_t n = certs->size();
    FUZZ_CHECK(OrderChain(std::move(*certs)).size() == n);
  }
  (void)ParseMediaType(body);
  if (auto parts = ParseMultipart(body, "multipart/mixed; boundary=estServerKeyGenBoundary")) {
    FUZZ_CHECK(parts->size() <= 17);
  }
  if (auto r = DecodeServerKeygen(body, "multipart/mixed; boundary=\"estServerKeyGenBoundary\"")) {
    FUZZ_CHECK(!r->pkcs8_der.empty() && !r->chain.empty());
  }
  (void)DecodeCsrAttrs(body);
  (void)ParseCsrAttrsDer(raw);
  (void)DecodePrivateKey(raw);
  return 0;
}

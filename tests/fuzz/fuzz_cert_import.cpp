// The certificate file importer of `edgectl cert import` (PEM, DER, PKCS#12) and the PEM chain parser of
// PUT /certificates: any input either fails cleanly or yields a non-empty chain that re-encodes.
#include <cstdint>
#include <string_view>

#include "certd/x509/import_file.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgesec;
  Bytes bytes(data, data + size);
  for (const auto& password : {std::optional<std::string>(), std::optional<std::string>("fuzz")}) {
    auto bundle = certd::x509::ReadCertificateFile(bytes, password);
    if (bundle) {
      FUZZ_CHECK(!bundle->chain.empty());
      FUZZ_CHECK(edgesec::x509::ChainToPem(bundle->chain).has_value());
    } else {
      FUZZ_CHECK(!bundle.error().message.empty());
    }
  }
  auto chain = edgesec::x509::ParsePemChain(std::string_view(reinterpret_cast<const char*>(data), size));
  if (chain) FUZZ_CHECK(!chain->empty());
  return 0;
}

// Fuzz target: strict base64 (API byte strings) and unpadded base64url (key handles), common/base64.hpp.
// Properties: the decoders are strict, so whatever they accept is the canonical encoding of what they
// return (decode then encode gives the input back); encode then decode gives the bytes back.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/base64.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto bytes = Base64Decode(text)) {
    FUZZ_CHECK(size % 4 == 0);
    FUZZ_CHECK(Base64Encode(*bytes) == text);
  }
  if (auto bytes = Base64UrlDecode(text)) {
    FUZZ_CHECK(text.find('=') == std::string_view::npos);
    FUZZ_CHECK(Base64UrlEncode(bytes->data(), bytes->size()) == text);
  }

  std::string std_text = Base64Encode(data, size);
  auto std_back = Base64Decode(std_text);
  FUZZ_CHECK(std_back.has_value() && std_back->size() == size &&
             std::equal(std_back->begin(), std_back->end(), data));
  std::string url_text = Base64UrlEncode(data, size);
  FUZZ_CHECK(url_text.find_first_of("+/=") == std::string::npos);
  auto url_back = Base64UrlDecode(url_text);
  FUZZ_CHECK(url_back.has_value() && url_back->size() == size &&
             std::equal(url_back->begin(), url_back->end(), data));
  // The two alphabets never mix.
  if (url_text.find_first_of("-_") != std::string::npos) FUZZ_CHECK(!Base64Decode(url_text + std::string((4 - url_text.size() % 4) % 4, '=')));
  return 0;
}

// Fuzz target: the audit log's line parser (common/audit/format.hpp), which edgectl audit verify
// and keyd's start-up recovery run on a file anyone with write access may have edited.
// Properties: never throws; an accepted line has a positive seq, a prev of 64 lowercase hex digits
// and a known event, and is at most kMaxLineBytes long; HashOf is 64 lowercase hex digits.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/audit/format.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto line = audit::ParseLine(text);
  if (line) {
    FUZZ_CHECK(line->seq > 0);
    FUZZ_CHECK(line->prev.size() == 64);
    FUZZ_CHECK(line->prev.find_first_not_of("0123456789abcdef") == std::string::npos);
    FUZZ_CHECK(audit::IsKeydEvent(line->event) || audit::IsPostableEvent(line->event));
    FUZZ_CHECK(size <= audit::kMaxLineBytes);
  } else {
    FUZZ_CHECK(line.error().kind == ErrorKind::kInvalidParameter);
  }
  std::string hash = audit::HashOf(text);
  FUZZ_CHECK(hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  return 0;
}

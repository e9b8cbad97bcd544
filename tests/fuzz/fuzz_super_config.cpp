// Fuzz target: any text as /etc/edgesec/config.toml → the super config reader, then Apply() and
// Redact(). Properties: nothing throws or crashes; an accepted config applies deterministically
// (the same bytes twice) to three files that are valid TOML; redaction never grows a secret back.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/super/super.hpp"
#include "config/toml_reader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string redacted = super::Redact(text);
  FUZZ_CHECK(super::Redact(redacted) == redacted);
  auto read = super::ReadSuperConfig(text, "config.toml");
  if (!read) {
    FUZZ_CHECK(read.error().kind == ErrorKind::kConfig);
    return 0;
  }
  for (bool rooted : {false, true}) {
    super::ApplyOptions options;
    options.rooted = rooted;
    options.os_hostname = "fuzz-host";
    super::Generated a = super::Apply(read->config, options);
    super::Generated b = super::Apply(read->config, options);
    FUZZ_CHECK(a.keyd == b.keyd && a.certd == b.certd && a.identityd == b.identityd &&
               a.keyd_dropin == b.keyd_dropin);
    FUZZ_CHECK(ParseToml(a.keyd, "keyd.toml").has_value());
    FUZZ_CHECK(ParseToml(a.certd, "certd.toml").has_value());
    FUZZ_CHECK(ParseToml(a.identityd, "identityd.toml").has_value());
  }
  return 0;
}

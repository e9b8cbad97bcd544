// Fuzz target: any text as an IoT Edge 1.1 config.yaml → `config import`'s converter. Properties:
// nothing throws or crashes (yaml-cpp's exceptions stop in the converter); a refusal is a kConfig
// error naming the file; an accepted file gives the same config.toml twice, and config.toml's
// reader accepts it.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/super/import_yaml.hpp"
#include "config/super/super.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto a = super::ImportIotEdge11Yaml(text, "config.yaml");
  if (!a) {
    FUZZ_CHECK(a.error().kind == ErrorKind::kConfig);
    FUZZ_CHECK(a.error().message.rfind("config.yaml", 0) == 0);
    return 0;
  }
  auto b = super::ImportIotEdge11Yaml(text, "config.yaml");
  FUZZ_CHECK(b && b->toml == a->toml && b->warnings == a->warnings);
  FUZZ_CHECK(super::ReadSuperConfig(a->toml, "config.toml").has_value());
  return 0;
}

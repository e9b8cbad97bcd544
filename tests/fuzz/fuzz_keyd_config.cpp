// Fuzz target: keyd's config files — TOML text through config::ParseToml and
// keyd::ApplyKeydConfigFile (on top of the embedded defaults). Properties: nothing throws or
// crashes, every refusal is a kConfig error that names the file (and so the line and column), and
// an applied file leaves a usable configuration (known algorithms, a socket mode within 0777).
#include <cstdint>
#include <string>
#include <string_view>

#include "config/keyd/config.hpp"
#include "config/toml_reader.hpp"
#include "keyd/api/keys_api.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/etc/edgesec/keyd/config.d/50-fuzz.toml";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = config::ParseToml(text, path);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().kind == ErrorKind::kConfig);
    FUZZ_CHECK(parsed.error().message.rfind(path + ":", 0) == 0);
    return 0;
  }
  keyd::KeydConfig config;
  Status applied = keyd::ApplyKeydConfigFile(*parsed, &config);
  if (!applied) {
    FUZZ_CHECK(applied.error().kind == ErrorKind::kConfig);
    FUZZ_CHECK(applied.error().message.rfind(path + ":", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(keyd::api::ParsePreferredAlgorithms(config.preferred_algorithms).has_value());
  FUZZ_CHECK(config.socket_mode <= 0777);
  for (const auto& rule : config.key_engines) FUZZ_CHECK(!rule.key_globs.empty());
  for (const auto& engine : config.engines)
    FUZZ_CHECK(engine.name != "file" && !engine.path.empty());
  for (const auto& [id, uri] : config.preloaded_keys)
    FUZZ_CHECK(uri.rfind("file:///", 0) == 0 || uri.rfind("pkcs11:", 0) == 0);
  // Applying the same file twice gives the same result (later files override, they do not append).
  keyd::KeydConfig twice = config;
  FUZZ_CHECK(keyd::ApplyKeydConfigFile(*parsed, &twice).has_value());
  FUZZ_CHECK(twice.engines.size() == config.engines.size() &&
             twice.principals.size() == config.principals.size() &&
             twice.key_engines.size() == config.key_engines.size() &&
             twice.preloaded_keys == config.preloaded_keys);
  return 0;
}

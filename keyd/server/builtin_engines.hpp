#pragma once
// The engines built into keyd. Each has a config section of its own ([pkcs11], [tpm]; none for
// file), an optional URI scheme for [preloaded_keys] entries it serves, and the C ABI table it
// implements. An engine is started only when its section is present (file always).

#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "config/toml_reader.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd {

struct BuiltinEngine {
  const char* name;        // also its config section and its name in [[key_engine]] rules
  const char* uri_prefix;  // "file://", "pkcs11:" or nullptr: preloaded URIs it serves
  const edgesec_key_engine* (*table)();
  // Reads the engine's config section into the JSON given to the engine as "options"; kConfig with
  // file:line:col on a bad key. nullptr: the engine has no section and always runs.
  Expected<Json> (*parse_section)(config::Reader& section);
};

const std::vector<BuiltinEngine>& BuiltinEngines();
// The built-in engine serving a preloaded URI, or nullptr.
const BuiltinEngine* EngineForUri(const std::string& uri);

}  // namespace edgesec::keyd

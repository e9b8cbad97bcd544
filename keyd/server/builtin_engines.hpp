#pragma once
// The engines built into keyd: the C ABI table each implements (their names, URI schemes and config
// sections are config/keyd's, engine_sections.hpp). An engine is started only when its section is
// present (file always).

#include <string>
#include <vector>

#include "common/json.hpp"
#include "config/keyd/engine_sections.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd {

struct BuiltinEngine {
  const char* name;  // also its config section and its name in [[key_engine]] rules
  const edgesec_key_engine* (*table)();
};

const std::vector<BuiltinEngine>& BuiltinEngines();
// A section as the "options" JSON the engine's open() reads.
Json EngineOptions(const EngineSection& section);

}  // namespace edgesec::keyd

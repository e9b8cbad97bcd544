#pragma once
// The sections of keyd's built-in engines as typed data: [pkcs11] and [tpm] (file has none and
// always runs). keyd turns a section into the "options" JSON its engine's open() gets; vendor
// engines ([engines.<name>]) keep an opaque options string (config/keyd/config.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "config/toml_reader.hpp"
#include "config/toml_writer.hpp"

namespace edgesec::keyd {

struct FileEngineSection {};

// [pkcs11]: lib_path (required, absolute), base_slot (required: a pkcs11: URI naming the token for
// keys without a URI, with pin-value or pin-source=file:/path), security_level (0-2).
struct Pkcs11EngineSection {
  std::string lib_path;
  std::string base_slot;
  std::optional<uint32_t> security_level;
};

// [tpm]: tcti = "device:/dev/tpmrm0" | "tabrmd" | "swtpm:host=127.0.0.1,port=2321"; owner_auth or
// owner_auth_file (owner hierarchy auth; neither: empty); persistent_handle (the storage primary,
// 0x81000000-0x817fffff); security_level (may lower what the engine reports).
struct TpmEngineSection {
  std::string tcti;
  std::optional<std::string> owner_auth;
  std::optional<std::string> owner_auth_file;
  std::optional<int64_t> persistent_handle;
  std::optional<uint32_t> security_level;
};

using EngineSection = std::variant<FileEngineSection, Pkcs11EngineSection, TpmEngineSection>;

// The engines built into keyd, in the order keyd starts them.
struct BuiltinEngineName {
  const char* name;        // also its config section and its name in [[key_engine]] rules
  const char* uri_prefix;  // "file://", "pkcs11:" or nullptr: preloaded URIs it serves
  bool has_section;        // false: no section, always runs (file)
};
const std::vector<BuiltinEngineName>& BuiltinEngineNames();
// The built-in engine serving a preloaded URI, or nullptr.
const BuiltinEngineName* EngineForUri(const std::string& uri);

// Reads the section of the built-in engine `name`; kConfig with file:line:col on a bad key (never
// quoting a PIN).
Expected<EngineSection> ReadEngineSection(const std::string& name, config::Reader& section);
// Writes `section` as [name] through the same field table (nothing for the file engine).
void WriteEngineSection(config::TomlWriter& w, const std::string& name,
                        const EngineSection& section);

}  // namespace edgesec::keyd

#pragma once
// keyd's own config: /etc/edgesec/keyd/config.toml then config.d/*.toml (later files override
// keys). Documented in docs/keyd.md and keyd/config.example.toml.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/paths.hpp"
#include "config/keyd/engine_sections.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::keyd {

// A [[principal]] of keyd: who may use which keys (globs, fnmatch).
struct Principal {
  uid_t uid = 0;
  std::vector<std::string> key_globs;
  // Written by config apply instead of `uid` when set (the reader resolves it).
  std::string name = {};
  // `audit = true`: may post events to the audit log (POST /audit, docs/audit.md).
  bool audit = false;
};

// [audit]: the audit log's rotation (docs/audit.md). 0 in a blank config: not written.
struct AuditSection {
  uint64_t max_size = 10 * 1024 * 1024;  // bytes; the file is rotated before it grows past this
  unsigned keep = 5;                     // rotated files kept: audit.jsonl.1 … .keep
};

struct VendorEngineConfig {
  std::string name;
  std::string path;
  std::string options;  // passed to the engine as "options"
  std::optional<uint32_t> security_level;
};

struct KeyEngineRule {
  std::vector<std::string> key_globs;
  std::string engine;
};

struct KeydConfig {
  std::string default_engine = "file";
  std::string preferred_algorithms = "*";
  mode_t socket_mode = 0660;
  unsigned max_requests = 10;  // connections one uid may hold at once on keyd.sock
  std::map<std::string, std::string> preloaded_keys;  // id → URI
  std::vector<VendorEngineConfig> engines;
  std::vector<KeyEngineRule> key_engines;
  std::vector<Principal> principals;
  AuditSection audit;
  // The built-in engines keyd starts: "file" always, [pkcs11] and [tpm] when their section is
  // there.
  std::map<std::string, EngineSection> builtin_engines = {{"file", FileEngineSection{}}};
};

// Embedded defaults, then every file of the layout in order. kConfig with file:line:col on error.
Expected<KeydConfig> LoadKeydConfig(const Layout& layout);
// Applies one parsed file on top of `config`.
Status ApplyKeydConfigFile(const config::ParsedFile& file, KeydConfig* config);

// Read and written through one field table (config/field_table.hpp). A blank config (no defaults:
// empty strings, zero mode, no built-in engine) is what config apply starts from; writing it back
// gives only the keys it set, in the table's order, after `header` as a comment, with
// `principals_comment` (when not empty) above the [[principal]] tables.
KeydConfig BlankKeydConfig();
std::string WriteKeydConfig(const KeydConfig& config, const std::string& header,
                            const std::string& principals_comment = {});

}  // namespace edgesec::keyd

#pragma once
// `edgectl config import`: an IoT Edge 1.1 /etc/iotedge/config.yaml → a commented edgesec
// config.toml (the super config), as `iotedge config import` moves a 1.1 device to 1.2. Pure: text
// in, text out; the command reads and writes the files (docs/config.md, "Importing an IoT Edge 1.1
// config.yaml").

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace edgesec::config::super {

struct ImportResult {
  std::string toml;  // a config.toml that ReadSuperConfig accepts
  // "file:line:col: 'dotted.key': message", in file order: keys IoT Edge 1.1 did not have, and
  // settings that are dropped or kept but ignored by edgesec.
  std::vector<std::string> warnings;
};

// kConfig "file:line:col: message" when the YAML does not parse, or "file:line:col: 'dotted.key':
// what to change" for a value of the wrong type or form, a setting missing its partner, and what
// edgesec refuses as config.toml's reader does (provisioning source "dps" and "external").
Expected<ImportResult> ImportIotEdge11Yaml(std::string_view yaml, const std::string& path);

}  // namespace edgesec::config::super

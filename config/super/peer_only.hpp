#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace edgesec::config::super {

// Removes the peer-only keys from `root`, one warning each ("file:line:col: 'key': …").
void PrunePeerOnly(toml::table& root, const std::string& file, std::vector<std::string>* warnings);

// Why [provisioning] source = "dps" is refused, and what to write instead (the reader's message;
// `config import` gives the same for a 1.1 config.yaml).
extern const char* const kDpsRefused;

}  // namespace edgesec::config::super

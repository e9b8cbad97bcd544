#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace edgesec::config::super {

// Removes the peer-only keys from `root`, one warning each ("file:line:col: 'key': …").
void PrunePeerOnly(toml::table& root, const std::string& file, std::vector<std::string>* warnings);

}  // namespace edgesec::config::super

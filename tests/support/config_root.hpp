#pragma once
// Test support for the services' config loaders: a temp --root whose
// etc/edgesec/<service>/config.toml a test writes, then loads with the service's loader, expecting
// a config or a kConfig error (whose message the test then reads).

#include <catch2/catch.hpp>
#include <string>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/paths.hpp"
#include "tests/support/temp_root.hpp"

namespace edgesec::testing {

template <class Config>
struct ConfigRoot {
  using Loader = Expected<Config> (*)(const Layout&);
  ConfigRoot(const std::string& service, Loader loader)
      : path(layout.etc() + "/" + service + "/config.toml"), load(loader) {}

  TempDir dir;
  Layout layout = Layout::UnderRoot(dir.path());
  std::string path;
  Loader load;

  Expected<Config> Load(const std::string& text) {
    REQUIRE(fs::MakeDirs(fs::DirName(path), 0755));
    REQUIRE(fs::AtomicWriteFile(path, text, 0600));
    return load(layout);
  }
  // Loads `text` and expects a kConfig error; returns its message.
  std::string Error(const std::string& text) {
    auto c = Load(text);
    REQUIRE_FALSE(c);
    CHECK(c.error().kind == ErrorKind::kConfig);
    return c.error().message;
  }
};

}  // namespace edgesec::testing

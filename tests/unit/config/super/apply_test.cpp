// config apply as a pure function, with golden directories: tests/data/apply/<case>/config.toml in,
// keyd.toml, certd.toml, identityd.toml (+ warnings.txt) or error.txt out. EDGESEC_UPDATE_GOLDEN=1
// rewrites the expected files. Every generated file is loaded with the real service parsers.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/fs.hpp"
#include "config/certd/config.hpp"
#include "config/identityd/config.hpp"
#include "config/keyd/config.hpp"
#include "config/super/super.hpp"
#include "tests/support/temp_root.hpp"

namespace super = edgesec::config::super;
namespace stdfs = std::filesystem;
using edgesec::Layout;

namespace {

std::string Dir() {
  const char* src = std::getenv("EDGESEC_SOURCE_ROOT");
  return std::string(src ? src : ".") + "/tests/data/apply";
}

std::string Read(const std::string& path) {
  auto text = edgesec::fs::ReadFile(path);
  return text ? *text : std::string();
}

bool Updating() {
  const char* u = std::getenv("EDGESEC_UPDATE_GOLDEN");
  return u && std::string(u) == "1";
}

// CI sets CI (as GitHub, GitLab and .ci/run do): there the switch would turn every check into a write.
bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::string(ci) != "0" && std::string(ci) != "false";
}

// Compares `actual` with the golden file (absent when `actual` is empty), or rewrites it.
void Golden(const std::string& path, const std::string& actual) {
  if (Updating() && InCi())
    FAIL("EDGESEC_UPDATE_GOLDEN=1 is set in CI: golden files are checked there, never rewritten");
  if (Updating()) {
    WARN("rewrote golden file " << path << " (EDGESEC_UPDATE_GOLDEN=1): review the diff");
    if (actual.empty())
      REQUIRE(edgesec::fs::RemoveFile(path));
    else
      REQUIRE(edgesec::fs::AtomicWriteFile(path, actual, 0644));
    return;
  }
  INFO("golden file " << path << " (EDGESEC_UPDATE_GOLDEN=1 rewrites it)");
  CHECK(Read(path) == actual);
}

std::string Lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// The service users may not exist on the build machine: their names become uids for the parsers.
std::string WithoutServiceUsers(std::string text) {
  for (auto [name, uid] :
       {std::pair{"edgecs", "993"}, std::pair{"edgeid", "992"}, std::pair{"edgeks", "994"}}) {
    std::string from = std::string("name = \"") + name + "\"";
    for (size_t at; (at = text.find(from)) != std::string::npos;)
      text.replace(at, from.size(), std::string("uid = ") + uid);
  }
  return text;
}

void LoadWithServiceParsers(const std::string& name, const super::Generated& g) {
  std::string skip = Read(Dir() + "/" + name + "/skip-load.txt");
  edgesec::testing::TempDir dir;
  Layout layout = Layout::UnderRoot(dir.path());
  for (auto [svc, text] : {std::pair{"keyd", &g.keyd}, std::pair{"certd", &g.certd},
                           std::pair{"identityd", &g.identityd}}) {
    std::string path = layout.ServiceConfigDir(svc) + "/00-super.toml";
    REQUIRE(edgesec::fs::MakeDirs(layout.ServiceConfigDir(svc), 0755));
    REQUIRE(edgesec::fs::AtomicWriteFile(path, WithoutServiceUsers(*text), 0600));
  }
  auto check = [&](const char* svc, const auto& loaded) {
    if (skip.find(svc) != std::string::npos) {
      INFO(name << ": " << svc << " expected to refuse (" << skip << ")");
      CHECK_FALSE(loaded);
      return;
    }
    INFO(name << ": " << svc << " refuses the generated file: "
              << (loaded ? std::string() : loaded.error().message));
    CHECK(loaded);
  };
  check("keyd", edgesec::keyd::LoadKeydConfig(layout));
  check("certd", edgesec::certd::LoadCertdConfig(layout));
  check("identityd", edgesec::identityd::LoadIdentitydConfig(layout));
}

}  // namespace

TEST_CASE("every golden case applies to exactly its expected files, which the services load") {
  std::vector<std::string> cases;
  for (const auto& e : stdfs::directory_iterator(Dir()))
    if (e.is_directory()) cases.push_back(e.path().filename());
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 15);
  for (const auto& name : cases) {
    DYNAMIC_SECTION(name) {
      std::string base = Dir() + "/" + name + "/";
      auto read = super::ReadSuperConfig(Read(base + "config.toml"), "config.toml");
      if (!read) {
        Golden(base + "error.txt", read.error().message + "\n");
        continue;
      }
      Golden(base + "error.txt", "");
      Golden(base + "warnings.txt", Lines(read->warnings));
      super::ApplyOptions options;
      options.rooted = stdfs::exists(base + "rooted");
      options.os_hostname = "gateway-test";
      super::Generated g = super::Apply(read->config, options);
      Golden(base + "keyd.toml", g.keyd);
      Golden(base + "certd.toml", g.certd);
      Golden(base + "identityd.toml", g.identityd);
      Golden(base + "keyd-dropin.conf", g.keyd_dropin);
      CHECK(super::Apply(read->config, options).certd == g.certd);  // deterministic
      LoadWithServiceParsers(name, g);
    }
  }
}

TEST_CASE("the reference config with its example lines uncommented applies to loadable files") {
  std::string text = Read(Dir() + "/../../../config/examples/config.toml"), uncommented;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    uncommented += (line.rfind("#: ", 0) == 0 ? line.substr(3) : line) + "\n";
    start = end == std::string::npos ? text.size() : end + 1;
  }
  auto read = super::ReadSuperConfig(uncommented, "config.toml");
  INFO((read ? std::string() : read.error().message));
  REQUIRE(read);
  super::ApplyOptions options;
  options.os_hostname = "gateway-test";
  LoadWithServiceParsers("reference", super::Apply(read->config, options));
}

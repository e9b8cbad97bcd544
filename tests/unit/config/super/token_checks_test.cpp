// config check (and edgectl check) on PKCS#11 tokens (issue 11): a pkcs11: URI naming no token of
// the module is a problem naming the key and the tokens that exist (SoftHSM2, a temp
// SOFTHSM2_CONF); SoftHSM2's config and token directory unusable by keyd's user are problems whose
// commands, run, fix them (a temp user; needs root).
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "common/fs.hpp"
#include "config/super/super.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_root.hpp"

namespace {

using edgesec::config::super::CheckOptions;
using edgesec::config::super::CrossCheck;
using edgesec::config::super::Pkcs11SlotProblems;
using edgesec::config::super::SofthsmAccessProblems;
using edgesec::config::super::SuperConfig;

const char* kSofthsm = "/usr/lib/softhsm/libsofthsm2.so";

bool Have(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0 || ::access(path.c_str(), R_OK) == 0;
}

int Run(const std::string& cmd) {
  return std::system(cmd.c_str());
}

// A SoftHSM2 config of its own, with one token "unit-tok".
struct Softhsm {
  edgesec::testing::TempDir dir;
  std::string conf = dir.path() + "/softhsm2.conf";
  std::string tokens = dir.path() + "/tokens";
  Softhsm() {
    REQUIRE(edgesec::fs::MakeDirs(tokens, 0700));
    REQUIRE(edgesec::fs::AtomicWriteFile(
        conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\n", 0640));
    ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  }
  ~Softhsm() { ::unsetenv("SOFTHSM2_CONF"); }
};

}  // namespace

TEST_CASE("a pkcs11: URI naming no token of the module is a problem naming the tokens") {
  if (!Have(kSofthsm) || Run("command -v softhsm2-util >/dev/null") != 0)
    return edgesec::testing::SkipCase("SoftHSM2 is not installed");
  Softhsm hsm;
  REQUIRE(Run("softhsm2-util --init-token --free --label unit-tok --pin 1234 --so-pin 5678 "
              ">/dev/null") == 0);
  auto problems = Pkcs11SlotProblems(kSofthsm, {{"[keys] pkcs11_base_slot", "pkcs11:slot-id=0"}});
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("[keys] pkcs11_base_slot") &&
                              Catch::Contains("names no token") &&
                              Catch::Contains("token 'unit-tok'") && Catch::Contains("slot-id="));
  CHECK(Pkcs11SlotProblems(kSofthsm, {{"k", "pkcs11:token=unit-tok"}}).empty());
  CHECK(Pkcs11SlotProblems(kSofthsm, {{"k", "pkcs11:object=no-token-named"}}).empty());
  CHECK(Pkcs11SlotProblems("/nonexistent/module.so", {{"k", "pkcs11:slot-id=0"}}).empty());

  // config check: the same problem through CrossCheck
  SuperConfig c;
  c.keys.pkcs11_lib_path = kSofthsm;
  c.keys.pkcs11_base_slot = "pkcs11:token=absent-tok?pin-value=1234";
  CheckOptions o;
  o.rooted = true;
  auto all = CrossCheck(c, o);
  REQUIRE(all.size() == 1);
  CHECK_THAT(all[0], Catch::Contains("token 'absent-tok'") && Catch::Contains("unit-tok") &&
                         !Catch::Contains("1234"));
}

TEST_CASE("SoftHSM2 unusable by keyd's user: the commands named fix it") {
  if (::geteuid() != 0) return edgesec::testing::SkipCase("needs root (a temp user)");
  if (Run("command -v useradd >/dev/null && command -v usermod >/dev/null") != 0 ||
      ::getgrnam("softhsm") == nullptr)
    return edgesec::testing::SkipCase("useradd/usermod or the group softhsm is missing");
  Softhsm hsm;
  std::string user = "es-hsm-" + std::to_string(::getpid() % 100000);
  REQUIRE(Run("useradd --system --no-create-home --shell /usr/sbin/nologin " + user) == 0);
  struct Remove {
    std::string user;
    ~Remove() { std::system(("userdel " + user + " 2>/dev/null").c_str()); }
  } remove{user};
  REQUIRE(::chmod(hsm.dir.path().c_str(), 0755) == 0);
  REQUIRE(Run("chgrp softhsm '" + hsm.conf + "' && chmod 0640 '" + hsm.conf + "'") == 0);
  REQUIRE(Run("touch '" + hsm.tokens + "/token.object'") == 0);

  CHECK(SofthsmAccessProblems("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", user).empty());
  CHECK(SofthsmAccessProblems(kSofthsm, "root").empty());
  auto problems = SofthsmAccessProblems(kSofthsm, user);
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0],
             Catch::Contains(hsm.conf) && Catch::Contains("usermod -aG softhsm " + user));
  CHECK_THAT(problems[1], Catch::Contains("chown -R " + user + ":softhsm '" + hsm.tokens + "'"));

  // The command each problem ends with ("; [give it to keyd: ]COMMAND"), run as printed.
  for (const auto& p : problems) {
    std::string fix = p.substr(p.rfind("; ") + 2);
    if (fix.rfind("give it to keyd: ", 0) == 0) fix = fix.substr(17);
    INFO(fix);
    REQUIRE(Run(fix) == 0);
  }
  CHECK(SofthsmAccessProblems(kSofthsm, user).empty());
}

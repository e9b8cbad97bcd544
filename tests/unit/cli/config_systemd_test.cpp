// edgectl config apply's reload step: ReloadOrRestartUnit through sd-bus against a private
// dbus-daemon with a test double of org.freedesktop.systemd1 (fake_systemd.py), reached through
// DBUS_SYSTEM_BUS_ADDRESS; the exact calls are checked.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli/check/check.hpp"
#include "cli/config_commands.hpp"
#include "common/fs.hpp"
#include "tests/support/temp_root.hpp"

namespace {

pid_t Spawn(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// The double needs dbus-daemon and python3-dbus + python3-gi (scripts/deps.sh).
bool HaveBus() {
  return ::access("/usr/bin/dbus-daemon", X_OK) == 0 &&
         std::system("/usr/bin/python3 -c 'import dbus, gi' >/dev/null 2>&1") == 0;
}

bool WaitFor(const std::function<bool()>& ready) {
  for (int i = 0; i < 200; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// A private bus and the systemd double on it; both stopped at the end.
struct FakeSystemd {
  edgesec::testing::TempDir dir;
  std::string log = dir.path() + "/calls";
  pid_t bus = 0, fake = 0;

  explicit FakeSystemd(const std::string& failing = {}) {
    std::string address = "unix:path=" + dir.path() + "/bus";
    bus = Spawn(
        {"/usr/bin/dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=" + address});
    REQUIRE(WaitFor([&] { return edgesec::fs::Exists(dir.path() + "/bus"); }));
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address.c_str(), 1);
    ::setenv("FAKE_SYSTEMD_FAIL", failing.c_str(), 1);
    const char* src = std::getenv("EDGESEC_SOURCE_ROOT");
    fake = Spawn({"/usr/bin/python3",
                  std::string(src ? src : ".") + "/tests/unit/cli/fake_systemd.py", log});
    REQUIRE(WaitFor([&] { return Calls().find("ready\n") != std::string::npos; }));
  }
  ~FakeSystemd() {
    for (pid_t p : {fake, bus}) {
      ::kill(p, SIGTERM);
      ::waitpid(p, nullptr, 0);
    }
  }
  std::string Calls() {
    auto text = edgesec::fs::ReadFile(log);
    return text ? *text : std::string();
  }
};

}  // namespace

TEST_CASE("reload-or-restart asks systemd once per changed unit and waits for the jobs") {
  if (!HaveBus()) return;
  FakeSystemd systemd;
  auto st =
      edgesec::cli::ReloadOrRestartUnits({"edgesec-keyd.service", "edgesec-identityd.service"}, 10);
  INFO((st ? std::string() : st.error().message));
  CHECK(st);
  CHECK(systemd.Calls() ==
        "ready\nSubscribe\nReloadOrRestartUnit edgesec-keyd.service replace\n"
        "ReloadOrRestartUnit edgesec-identityd.service replace\n");
}

TEST_CASE("a failed job and an unknown unit are reported by name") {
  if (!HaveBus()) return;
  FakeSystemd systemd("edgesec-certd.service");
  auto st = edgesec::cli::ReloadOrRestartUnits(
      {"edgesec-certd.service", "missing.service", "edgesec-keyd.service"}, 10);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("edgesec-certd.service: job failed") != std::string::npos);
  CHECK(st.error().message.find("missing.service: Unit missing.service not found.") !=
        std::string::npos);
  CHECK(st.error().message.find("edgesec-keyd.service") == std::string::npos);
  // The failed units by name, not a literal "<unit>" (issue 11, trap 3).
  CHECK(st.error().message.find("(see `journalctl -u edgesec-certd.service -u missing.service`)") !=
        std::string::npos);
}

TEST_CASE("a changed keyd sandbox is a daemon-reload, then a restart of keyd, then the reloads") {
  if (!HaveBus()) return;
  FakeSystemd systemd;
  edgesec::cli::SystemdPlan plan;
  plan.daemon_reload = true;
  plan.restart = {"edgesec-keyd.service"};
  plan.reload_or_restart = {"edgesec-certd.service"};
  auto st = edgesec::cli::RunSystemdPlan(plan, 10);
  INFO((st ? std::string() : st.error().message));
  CHECK(st);
  CHECK(systemd.Calls() ==
        "ready\nSubscribe\nReload\nRestartUnit edgesec-keyd.service replace\n"
        "ReloadOrRestartUnit edgesec-certd.service replace\n");
}

TEST_CASE("no system bus is a failure, not a hang") {
  edgesec::testing::TempDir dir;
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + dir.path() + "/none").c_str(), 1);
  auto st = edgesec::cli::ReloadOrRestartUnits({"edgesec-keyd.service"}, 2);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("system bus") != std::string::npos);
}

TEST_CASE("the dry-run diff shows removed then added lines with context") {
  std::string d = edgesec::cli::UnifiedDiff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n",
                                            "x.toml", true);
  CHECK(d ==
        "--- x.toml\n+++ x.toml (after apply)\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n");
  CHECK(edgesec::cli::UnifiedDiff("same\n", "same\n", "x", true).empty());
  // A file not there yet (issue 11, trap 6).
  CHECK(edgesec::cli::UnifiedDiff("", "a\nb\n", "y.toml", false) ==
        "--- /dev/null\n+++ y.toml (new)\n@@ -0,0 +1,2 @@\n+a\n+b\n");
}

namespace {

// Runs `edgectl --root root config apply` with the systemd path (EDGESEC_TEST_SYSTEMD=1); exit
// code.
int Apply(const std::string& root) {
  const char* edgectl = std::getenv("EDGESEC_EDGECTL");
  if (edgectl == nullptr) return -1;
  std::string cmd = std::string("EDGESEC_TEST_SYSTEMD=1 '") + edgectl + "' --root '" + root +
                    "' config apply >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string ReadOr(const std::string& path) {
  auto text = edgesec::fs::ReadFile(path);
  return text ? *text : std::string("(absent)");
}

}  // namespace

TEST_CASE("config apply reloads exactly the services whose file changed, through systemd") {
  if (!HaveBus() || !std::getenv("EDGESEC_EDGECTL")) return;
  FakeSystemd systemd;
  std::string root = systemd.dir.path() + "/root", super = root + "/etc/edgesec/config.toml";
  REQUIRE(edgesec::fs::MakeDirs(root + "/etc/edgesec", 0755));
  REQUIRE(edgesec::fs::AtomicWriteFile(super, "hostname = \"gw-1\"\n", 0600));
  REQUIRE(Apply(root) == 0);
  // The header names the config that was applied, under --root too (issue 11, item 6).
  CHECK(ReadOr(root + "/etc/edgesec/keyd/config.d/00-super.toml")
            .find("# Generated by `edgectl config apply` from " + super + ": ") == 0);
  CHECK(systemd.Calls() ==
        "ready\nSubscribe\nReloadOrRestartUnit edgesec-keyd.service replace\n"
        "ReloadOrRestartUnit edgesec-certd.service replace\n"
        "ReloadOrRestartUnit edgesec-identityd.service replace\n");
  // Only certd's file changes.
  REQUIRE(edgesec::fs::AtomicWriteFile(super, "hostname = \"gw-2\"\n", 0600));
  REQUIRE(Apply(root) == 0);
  CHECK(systemd.Calls().substr(systemd.Calls().rfind("Subscribe")) ==
        "Subscribe\nReloadOrRestartUnit edgesec-certd.service replace\n");
  // Nothing changes: systemd is not even asked.
  std::string before = systemd.Calls();
  REQUIRE(Apply(root) == 0);
  CHECK(systemd.Calls() == before);
}

TEST_CASE("a failed reload makes config apply fail and puts the previous files back") {
  if (!HaveBus() || !std::getenv("EDGESEC_EDGECTL")) return;
  FakeSystemd systemd("edgesec-certd.service");
  std::string root = systemd.dir.path() + "/root", super = root + "/etc/edgesec/config.toml";
  REQUIRE(edgesec::fs::MakeDirs(root + "/etc/edgesec", 0755));
  REQUIRE(edgesec::fs::AtomicWriteFile(super, "hostname = \"gw-1\"\n", 0600));
  CHECK(Apply(root) == 1);  // the first apply's certd reload fails too
  // There were no files before: the defaults' files now, not none (without them the services would
  // lack the principals they need for each other; issue 11, trap 1). gw-1 was not applied.
  for (const char* svc : {"keyd", "certd", "identityd"}) {
    std::string text = ReadOr(root + "/etc/edgesec/" + svc + "/config.d/00-super.toml");
    INFO(svc << ": " << text);
    CHECK(text.find("Generated by `edgectl config apply` from the defaults (") == 2);
    CHECK(text.find("gw-1") == std::string::npos);
  }
  // The services were asked again after the files went back.
  std::string calls = systemd.Calls();
  CHECK(calls.find("ReloadOrRestartUnit edgesec-certd.service replace\n") !=
        calls.rfind("ReloadOrRestartUnit edgesec-certd.service replace\n"));
}

// edgectl check (trap 4 of issue 11): a unit of on_change_units that systemd cannot load warns,
// naming it, through the same bus as config apply; no system bus is a skip, not a failure.
TEST_CASE("check warns about an on_change_units unit systemd cannot load") {
  using edgesec::cli::check::Outcome;
  edgesec::testing::TempDir dir;
  edgesec::cli::check::Env env;
  env.layout = edgesec::Layout::UnderRoot(dir.path());
  std::string conf = env.layout.ServiceConfigFile("identityd");
  REQUIRE(edgesec::fs::MakeDirs(edgesec::fs::DirName(conf), 0700));
  REQUIRE(edgesec::fs::AtomicWriteFile(
      conf,
      "[edge_ca]\non_change = [\"/usr/bin/systemctl\", \"reload-or-restart\", \"--no-block\", "
      "\"consumer.service\", \"missing.service\"]\n",
      0600));
  auto find = [](const edgesec::cli::check::Report& r, const std::string& id) {
    for (const auto& x : r.results())
      if (x.id == id) return x;
    return edgesec::cli::check::Result{};
  };
  {
    FakeSystemd systemd;
    edgesec::cli::check::Report report;
    edgesec::cli::check::CheckUnits(env, report);
    CHECK(find(report, "unit:consumer.service").status == Outcome::kPass);
    auto missing = find(report, "unit:missing.service");
    CHECK(missing.status == Outcome::kWarn);
    CHECK_THAT(missing.message, Catch::Contains("not-found"));
    CHECK_THAT(missing.hint, Catch::Contains("on_change_units"));
    CHECK_THAT(systemd.Calls(), Catch::Contains("LoadUnit missing.service"));
  }
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + dir.path() + "/none").c_str(), 1);
  edgesec::cli::check::Report report;
  edgesec::cli::check::CheckUnits(env, report);
  REQUIRE(report.results().size() == 1);
  CHECK(report.results()[0].status == Outcome::kSkip);
  CHECK_FALSE(report.failed());
}

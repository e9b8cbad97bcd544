// edgectl check without daemons: the report (text, JSON, exit decision), and the check families
// that need no running service — permissions, sockets, the clock, EST reachability, config errors —
// on a temp root.
#include "cli/check/check.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "common/clock.hpp"
#include "common/fs.hpp"
#include "tests/support/temp_root.hpp"
#include "tests/support/tls_peer.hpp"
#include "tests/support/skip.hpp"

using namespace edgesec;
using namespace edgesec::cli::check;

namespace {

struct Root {
  testing::TempDir dir;
  Env env;
  Report report;
  Root() {
    env.layout = Layout::UnderRoot(dir.path());
    env.now = edgesec::BuildEpoch() + 86400;
  }
  void Write(const std::string& path, const std::string& text, mode_t mode) {
    REQUIRE(fs::MakeDirs(fs::DirName(path), 0755));
    REQUIRE(fs::AtomicWriteFile(path, text, mode));
    REQUIRE(::chmod(path.c_str(), mode) == 0);
  }
  const Result* Find(const std::string& id) const {
    for (const auto& r : report.results())
      if (r.id == id) return &r;
    return nullptr;
  }
};

}  // namespace

TEST_CASE("the report fails only on a failing check, and every warning and failure has a hint") {
  Report r;
  r.Pass("a", "fine");
  r.Warn("b", "hmm", "do this");
  r.Skip("c", "not here");
  CHECK_FALSE(r.failed());
  r.Fail("d", "broken", "fix that");
  CHECK(r.failed());
  Json j = r.ToJson();
  REQUIRE(j.size() == 4);
  CHECK(j[0]["status"] == "pass");
  CHECK(j[0]["hint"].is_null());
  CHECK(j[1]["status"] == "warn");
  CHECK(j[1]["hint"] == "do this");
  CHECK(j[3] == Json{{"id", "d"}, {"status", "fail"}, {"message", "broken"}, {"hint", "fix that"}});
  std::string text = r.Text();
  CHECK_THAT(text, Catch::Contains("FAIL  d: broken\n      hint: fix that\n"));
  CHECK_THAT(text, Catch::Contains("1 passed, 1 warning(s), 1 failed, 1 skipped"));
}

TEST_CASE("spans in messages are rough and readable") {
  CHECK(Span(3 * 86400 + 5) == "3 days");
  CHECK(Span(86400) == "24 hours");
  CHECK(Span(-300) == "5 minutes");
  CHECK(Span(1) == "1 second");
}

TEST_CASE("a key file readable by others fails with chmod 0600; an open config file warns") {
  Root root;
  std::string key = root.env.layout.ServiceStateDir("keyd") + "/file/keypairs/k.pem";
  std::string conf = root.env.layout.ServiceConfigFile("certd");
  root.Write(key, "key", 0644);
  root.Write(conf, "", 0644);
  CheckPermissions(root.env, root.report);
  const Result* k = root.Find("permissions-keyd:" + key);
  REQUIRE(k != nullptr);
  CHECK(k->status == Outcome::kFail);
  CHECK_THAT(k->message, Catch::Contains("mode 0644"));
  CHECK(k->hint == "chmod 0600 '" + key + "'");
  const Result* c = root.Find("permissions-certd:" + conf);
  REQUIRE(c != nullptr);
  CHECK(c->status == Outcome::kWarn);
  CHECK_THAT(c->hint, Catch::Contains("chmod 0600"));
  CHECK(root.report.failed());

  Root fine;
  fine.Write(fine.env.layout.ServiceStateDir("keyd") + "/file/keypairs/k.pem", "key", 0600);
  fine.Write(fine.env.layout.ServiceConfigFile("certd"), "", 0640);
  CheckPermissions(fine.env, fine.report);
  CHECK_FALSE(fine.report.failed());
  REQUIRE(fine.Find("permissions-keyd") != nullptr);
  CHECK(fine.Find("permissions-keyd")->status == Outcome::kPass);
}

TEST_CASE("a state file owned by another user fails with a chown of the state directory") {
  if (::geteuid() != 0) {
    return edgesec::testing::SkipCase("needs root to chown");
  }
  Root root;
  std::string dir = root.env.layout.ServiceStateDir("certd");
  std::string file = dir + "/renewal.json";
  root.Write(file, "{}", 0600);
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  CheckPermissions(root.env, root.report);
  const Result* r = root.Find("permissions-certd:" + file);
  REQUIRE(r != nullptr);
  CHECK(r->status == Outcome::kFail);
  CHECK_THAT(r->message, Catch::Contains("owned by uid 65534"));
  CHECK_THAT(r->hint, Catch::StartsWith("chown -R ") && Catch::Contains("'" + dir + "'"));
}

TEST_CASE("a service without a socket fails with the hint to start it") {
  Root root;
  root.Write(root.env.layout.Socket("certd"), "not a socket", 0600);
  CheckServices(root.env, root.report);
  const Result* keyd = root.Find("service-keyd");
  REQUIRE(keyd != nullptr);
  CHECK(keyd->status == Outcome::kFail);
  CHECK_THAT(keyd->message, Catch::Contains("not running"));
  CHECK(keyd->hint == "start the daemons: edgectl up");
  root.report.RootHints(root.env.layout.root);  // as edgectl check does under --root
  CHECK(root.Find("service-keyd")->hint ==
        "start the daemons: edgectl --root " + root.env.layout.root + " up");
  const Result* certd = root.Find("service-certd");
  REQUIRE(certd != nullptr);
  CHECK_THAT(certd->message, Catch::Contains("is not a socket"));
  CHECK_FALSE(root.env.Reachable("certd"));

  Env system;
  CHECK(system.StartHint("workload") == "systemctl start edgesec-workload.socket");
}

TEST_CASE("a clock before the build date fails; one before a cert's notBefore warns") {
  Root before;
  before.env.now = edgesec::BuildEpoch() - 86400;
  CheckClock(before.env, before.report);
  REQUIRE(before.Find("clock") != nullptr);
  CHECK(before.Find("clock")->status == Outcome::kFail);
  CHECK_THAT(before.Find("clock")->hint, Catch::Contains("timedatectl"));

  Root ahead;
  ahead.env.certs.push_back({"web", ahead.env.now + 3 * 86400, ahead.env.now + 90 * 86400});
  CheckClock(ahead.env, ahead.report);
  REQUIRE(ahead.Find("clock") != nullptr);
  CHECK(ahead.Find("clock")->status == Outcome::kWarn);
  CHECK_THAT(ahead.Find("clock")->message, Catch::Contains("cert 'web'"));
}

TEST_CASE("an EST server on a closed port fails; no EST server is a skip") {
  Root none;
  CheckEst(none.env, none.report);
  REQUIRE(none.Find("est") != nullptr);
  CHECK(none.Find("est")->status == Outcome::kSkip);

  Root root;
  std::string url = "https://127.0.0.1:" + std::to_string(testing::FreeLocalPort());
  std::string anchor = root.dir.path() + "/anchor.pem";
  EvpPkeyPtr key = testing::LocalEcKey();
  testing::CertSpec spec;
  spec.cn = "anchor";
  spec.ca = true;
  X509Ptr ca = testing::MakeCert(spec, key.get(), nullptr, key.get(), EVP_sha256());
  testing::WriteCert(anchor, ca.get());
  root.Write(root.env.layout.ServiceConfigFile("certd"),
             "[est]\nurl = \"" + url + "\"\ntrusted_certs = [\"" + anchor + "\"]\n", 0600);
  CheckEst(root.env, root.report);
  const Result* r = root.Find("est:" + url);
  REQUIRE(r != nullptr);
  CHECK(r->status == Outcome::kFail);
  CHECK_THAT(r->message, Catch::Contains("not reachable over TLS"));
  CHECK_THAT(r->hint, Catch::Contains("check that the EST server runs"));
}

TEST_CASE("a service config error fails naming file:line:col; no super config is a skip") {
  Root root;
  std::string conf = root.env.layout.ServiceConfigFile("keyd");
  root.Write(conf, "default_engin = \"file\"\n", 0600);
  CheckConfig(root.env, root.report);
  const Result* r = root.Find("config-keyd");
  REQUIRE(r != nullptr);
  CHECK(r->status == Outcome::kFail);
  CHECK_THAT(r->message, Catch::Contains(conf + ":1:1"));
  REQUIRE(root.Find("config-certd") != nullptr);
  CHECK(root.Find("config-certd")->status == Outcome::kPass);
  REQUIRE(root.Find("config") != nullptr);
  CHECK(root.Find("config")->status == Outcome::kSkip);
}

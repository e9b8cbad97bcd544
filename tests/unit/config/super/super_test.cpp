// config/super: the reader's errors and warnings, the cross-checks, redaction, and the reference
// config/examples/config.toml (as shipped, and with its commented keys uncommented).
#include "config/super/super.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/fs.hpp"
#include "tests/support/temp_root.hpp"

namespace super = edgesec::config::super;

namespace {

std::string Source(const std::string& rel) {
  const char* src = std::getenv("EDGESEC_SOURCE_ROOT");
  auto text = edgesec::fs::ReadFile(std::string(src ? src : ".") + "/" + rel);
  REQUIRE(text);
  return *text;
}

std::string ErrorOf(const std::string& toml) {
  auto r = super::ReadSuperConfig(toml, "config.toml");
  REQUIRE_FALSE(r);
  return r.error().message;
}

// "#   key = …" lines of the reference that are meant to be uncommented: "#:" marks them.
std::string Uncommented(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.rfind("#: ", 0) == 0) line = line.substr(3);
    out += line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("an unknown key names its line and column and the key it resembles") {
  std::string e = ErrorOf("hostname = \"a\"\n[edge_ca]\nauto_generated_edge_ca_expiry_dayz = 5\n");
  CHECK(e ==
        "config.toml:3:1: 'edge_ca.auto_generated_edge_ca_expiry_dayz': unknown key; did you "
        "mean 'edge_ca.auto_generated_edge_ca_expiry_days'?");
}

TEST_CASE("a mistyped value says which type it must be") {
  CHECK(ErrorOf("[edge_ca]\nauto_generated_edge_ca_expiry_days = \"90\"\n")
            .find("config.toml:2:38: 'edge_ca.auto_generated_edge_ca_expiry_days': must be an "
                  "integer") == 0);
}

TEST_CASE("DPS provisioning is refused as outside edgesec") {
  CHECK(ErrorOf("[provisioning]\nsource = \"dps\"\n").find("DPS provisioning is outside edgesec") !=
        std::string::npos);
}

TEST_CASE("[keys] and [aziot_keys] are one table under two names") {
  CHECK(ErrorOf("[keys]\n[aziot_keys]\n").find("give one of them") != std::string::npos);
  REQUIRE(super::ReadSuperConfig("[keys]\npkcs11_lib_path = \"/l.so\"\n", "c"));
}

TEST_CASE("a table only IoT Edge's runtime uses is one warning, whatever is under it") {
  auto r = super::ReadSuperConfig(
      "[agent]\nname = 'x'\n[agent.config]\nimage = 'y'\n[[agent.env.list]]\nk = 1\n", "c.toml");
  REQUIRE(r);
  REQUIRE(r->warnings.size() == 1);
  CHECK(r->warnings[0].find("c.toml:1:1: 'agent'") == 0);
}

TEST_CASE("redaction hides passwords and PINs and nothing else") {
  CHECK(super::Redact("password = \"s3cr\\\"et\"\nusername = \"u\"\n") ==
        "password = \"<redacted>\"\nusername = \"u\"\n");
  CHECK(super::Redact("pk = \"pkcs11:object=k?pin-value=1234\"") ==
        "pk = \"pkcs11:object=k?pin-value=<redacted>\"");
  CHECK(super::Redact("a = \"pin-value=1;pin-value=2&x\"") ==
        "a = \"pin-value=<redacted>;pin-value=<redacted>&x\"");
  CHECK(super::Redact("  owner_auth=\"x\" # c\nconnection_string = \"HostName=h\"") ==
        "  owner_auth=\"<redacted>\" # c\nconnection_string = \"<redacted>\"");
  CHECK(super::Redact("password_file = \"/etc/p\"\npassword = \"unterminated") ==
        "password_file = \"/etc/p\"\npassword = \"unterminated");
  // A long secret (a std::regex once overflowed the stack on this).
  std::string long_secret = "password = \"" + std::string(200000, 'x') + "\"";
  CHECK(super::Redact(long_secret) == "password = \"<redacted>\"");
  auto shown = super::ShowSuperConfig(
      "[cert_issuance.est.auth]\nusername = 'u'\npassword = 'p'\n[agent]\nx = 1\n", "c", false);
  REQUIRE(shown);
  CHECK(shown->find("<redacted>") != std::string::npos);
  CHECK(shown->find("'p'") == std::string::npos);
  CHECK(shown->find("agent") == std::string::npos);
}

TEST_CASE("cross-checks name missing files and unresolvable principals") {
  edgesec::testing::TempDir dir;
  std::string present = dir.path() + "/root.pem";
  REQUIRE(edgesec::fs::AtomicWriteFile(present, "x", 0644));
  auto r = super::ReadSuperConfig("trust_bundle_cert = \"file://" + present +
                                      "\"\n[edge_ca]\ncert = \"file:///nonexistent/ca.pem\"\npk = "
                                      "\"file://" +
                                      present +
                                      "\"\n[[principal]]\nname = "
                                      "\"no-such-user-xyz\"\nkeys = [\"k\"]\n",
                                  "config.toml");
  REQUIRE(r);
  auto problems = super::CrossCheck(r->config, super::CheckOptions{.rooted = true});
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].find("config.toml:3:8: 'edge_ca.cert': '/nonexistent/ca.pem' does not exist") ==
        0);
  CHECK(problems[1].find("'no-such-user-xyz' is not a user") != std::string::npos);
}

TEST_CASE("outside --root the service users must exist: the generated configs name them") {
  auto r = super::ReadSuperConfig("", "c");
  REQUIRE(r);
  super::CheckOptions o;
  o.keyd_user = "no-such-keyd-user";
  o.certd_user = o.identityd_user = "root";
  auto problems = super::CrossCheck(r->config, o);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("the keyd user 'no-such-keyd-user' does not exist") == 0);
}

TEST_CASE("a file the service user cannot read is named with the fix") {
  if (::geteuid() != 0) return;  // needs a file owned by someone else
  edgesec::testing::TempDir dir;
  std::string secret = dir.path() + "/key.pem";
  REQUIRE(edgesec::fs::AtomicWriteFile(secret, "x", 0600));
  auto r = super::ReadSuperConfig("[preloaded_keys]\nk = \"file://" + secret + "\"\n", "c");
  REQUIRE(r);
  super::CheckOptions o;
  o.keyd_user = "nobody";
  o.certd_user = o.identityd_user = "root";
  auto problems = super::CrossCheck(r->config, o);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("user 'nobody' cannot read it") != std::string::npos);
}

TEST_CASE("the reference config is accepted as shipped and with its examples uncommented") {
  std::string text = Source("config/examples/config.toml");
  auto shipped = super::ReadSuperConfig(text, "config.toml");
  INFO((shipped ? std::string() : shipped.error().message));
  REQUIRE(shipped);
  CHECK(shipped->warnings.empty());
  auto full = super::ReadSuperConfig(Uncommented(text), "config.toml");
  INFO((full ? std::string() : full.error().message));
  REQUIRE(full);
  CHECK(full->config.edge_ca.mode == super::EdgeCa::Mode::kIssued);
  CHECK(full->config.device.mode == super::DeviceIdentity::Mode::kIssued);
  CHECK(!full->config.principals.empty());
}

TEST_CASE(
    "every config with one line removed, doubled or retyped is read or refused with a position") {
  namespace stdfs = std::filesystem;
  const char* src = std::getenv("EDGESEC_SOURCE_ROOT");
  std::string dir = std::string(src ? src : ".") + "/tests/data/apply";
  size_t variants = 0;
  for (const auto& e : stdfs::directory_iterator(dir)) {
    auto text = edgesec::fs::ReadFile(e.path().string() + "/config.toml");
    if (!text) continue;
    std::vector<std::string> lines;
    for (size_t start = 0; start < text->size();) {
      size_t end = text->find('\n', start);
      lines.push_back(text->substr(start, end == std::string::npos ? end : end - start));
      start = end == std::string::npos ? text->size() : end + 1;
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      for (int how = 0; how < 3; ++how) {
        std::string variant;
        for (size_t j = 0; j < lines.size(); ++j) {
          if (j != i || how == 1) variant += lines[j] + "\n";
          if (j == i && how == 1) variant += lines[j] + "\n";
          if (j == i && how == 2) {
            std::string l = lines[j];
            auto eq = l.find(" = ");
            variant += (eq == std::string::npos ? l : l.substr(0, eq) + " = 7") + "\n";
          }
        }
        auto r = super::ReadSuperConfig(variant, "config.toml");
        ++variants;
        if (!r) {
          INFO(e.path().filename().string()
               << " line " << i + 1 << " variant " << how << ": " << r.error().message);
          CHECK(r.error().message.rfind("config.toml:", 0) == 0);
        }
      }
    }
  }
  CHECK(variants > 500);
}

TEST_CASE(
    "manifest_trust_bundle_cert: a file:// URI for identityd; another scheme is refused with its "
    "position, a missing file is named by the cross-check") {
  edgesec::testing::TempDir dir;
  std::string present = dir.path() + "/manifest.pem";
  REQUIRE(edgesec::fs::AtomicWriteFile(present, "x", 0644));
  auto r = super::ReadSuperConfig("manifest_trust_bundle_cert = \"file://" + present + "\"\n",
                                  "config.toml");
  REQUIRE(r);
  CHECK(r->warnings.empty());
  CHECK(r->config.manifest_trust_bundle_cert == "file://" + present);
  CHECK(super::CrossCheck(r->config, super::CheckOptions{.rooted = true}).empty());
  auto generated = super::Apply(r->config, super::ApplyOptions{});
  CHECK(generated.identityd.find("manifest_trust_bundle_cert = \"file://" + present + "\"") !=
        std::string::npos);
  CHECK(generated.keyd.find("iotedge_master_encryption_id") != std::string::npos);

  std::string e = ErrorOf("hostname = \"gw\"\nmanifest_trust_bundle_cert = \"https://x/m.pem\"\n");
  CHECK(e.find("config.toml:2:") == 0);
  CHECK(e.find("'manifest_trust_bundle_cert'") != std::string::npos);
  CHECK(e.find("must be a file:///absolute/path URI") != std::string::npos);
  CHECK(ErrorOf("manifest_trust_bundle_cert = \"/var/m.pem\"\n").find("file:///") !=
        std::string::npos);

  auto missing = super::ReadSuperConfig(
      "manifest_trust_bundle_cert = \"file:///nonexistent/manifest.pem\"\n", "config.toml");
  REQUIRE(missing);
  auto problems = super::CrossCheck(missing->config, super::CheckOptions{.rooted = true});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("config.toml:1:") == 0);
  CHECK(problems[0].find(
            "'manifest_trust_bundle_cert': '/nonexistent/manifest.pem' does not exist") !=
        std::string::npos);
}

TEST_CASE(
    "[aziot_max_requests] and [iotedge_max_requests] reach each service's config; tpmd and "
    "management are warned about and ignored") {
  auto r = super::ReadSuperConfig(
      "[aziot_max_requests]\nkeyd = 20\ncertd = 30\nidentityd = 40\ntpmd = 50\n\n"
      "[iotedge_max_requests]\nmanagement = 70\nworkload = 60\n",
      "config.toml");
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  REQUIRE(r->warnings.size() == 2);
  CHECK(r->warnings[0].find("config.toml:5:8: 'aziot_max_requests.tpmd': edgesec has no TPM "
                            "service") == 0);
  CHECK(r->warnings[0].find("edgesec ignores it") != std::string::npos);
  CHECK(r->warnings[1].find("config.toml:8:14: 'iotedge_max_requests.management': ") == 0);
  CHECK(r->config.max_requests.keyd == 20);
  CHECK(r->config.max_requests.certd == 30);
  CHECK(r->config.max_requests.identityd == 40);
  CHECK(r->config.max_requests.workload == 60);
  super::ApplyOptions rooted;
  rooted.rooted = true;
  auto g = super::Apply(r->config, rooted);
  CHECK(g.keyd.find("\nmax_requests = 20\n") != std::string::npos);
  CHECK(g.certd.find("\nmax_requests = 30\n") != std::string::npos);
  CHECK(g.identityd.find("\nmax_requests = 40\n") != std::string::npos);
  CHECK(g.identityd.find("\nworkload_max_requests = 60\n") != std::string::npos);

  // Unset: nothing written, the services keep their default (10).
  auto none = super::ReadSuperConfig("[iotedge_max_requests]\nworkload = 5\n", "config.toml");
  REQUIRE(none);
  CHECK(none->warnings.empty());
  auto g2 = super::Apply(none->config, rooted);
  CHECK(g2.keyd.find("max_requests") == std::string::npos);
  CHECK(g2.identityd.find("\nmax_requests") == std::string::npos);
  CHECK(g2.identityd.find("\nworkload_max_requests = 5\n") != std::string::npos);
}

TEST_CASE("a max_requests that is not a positive integer is refused with its file, line and key") {
  CHECK(ErrorOf("[aziot_max_requests]\nkeyd = 0\n") ==
        "config.toml:2:8: 'aziot_max_requests.keyd': must be a positive integer: the requests one "
        "caller (uid) may have at once on the socket, e.g. 10");
  CHECK(ErrorOf("[iotedge_max_requests]\nworkload = -4\n")
            .find("config.toml:2:12: 'iotedge_max_requests.workload': must be a positive "
                  "integer") == 0);
  CHECK(ErrorOf("[aziot_max_requests]\ncertd = \"10\"\n")
            .find("config.toml:2:9: 'aziot_max_requests.certd': must be an integer, not a "
                  "string") == 0);
  CHECK(ErrorOf("[aziot_max_requests]\nidentityd = 4294967306\n")
            .find("'aziot_max_requests.identityd': must be a positive integer") !=
        std::string::npos);
  CHECK(ErrorOf("[aziot_max_requests]\ntpmd = 0\n").find("'aziot_max_requests.tpmd'") !=
        std::string::npos);
  CHECK(ErrorOf("[iotedge_max_requests]\nworkloads = 3\n")
            .find("'iotedge_max_requests.workloads': unknown key; did you mean "
                  "'iotedge_max_requests.workload'?") != std::string::npos);
}

TEST_CASE("[cert_issuance.est] max_wait: seconds as an integer or \"Ns\", or a span; not zero") {
  const std::string est = "[cert_issuance.est]\ntrusted_certs = [\"file:///r.pem\"]\n";
  for (const char* ok : {"90", "\"90s\"", "\"30m\"", "\"2h\"", "\"1d\""}) {
    INFO(ok);
    auto r = super::ReadSuperConfig(est + "max_wait = " + ok + "\n", "config.toml");
    REQUIRE(r);
    REQUIRE(r->config.est.max_wait);
  }
  CHECK(*super::ReadSuperConfig(est + "max_wait = 90\n", "c")->config.est.max_wait == "90s");
  CHECK(ErrorOf(est + "max_wait = 0\n").find("'cert_issuance.est.max_wait': must be a positive") !=
        std::string::npos);
  CHECK(ErrorOf(est + "max_wait = -5\n").find("must be a positive") != std::string::npos);
  CHECK(ErrorOf(est + "max_wait = \"0s\"\n").find("must be a positive") != std::string::npos);
  CHECK(ErrorOf(est + "max_wait = \"soon\"\n").find("is not a span") != std::string::npos);
}

TEST_CASE(
    "[revocation] reaches certd's config; unset keeps certd's defaults; bad values are named") {
  auto r =
      super::ReadSuperConfig("[revocation]\ncheck = false\nrefresh = \"12h\"\n", "config.toml");
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  CHECK(r->warnings.empty());
  super::ApplyOptions rooted;
  rooted.rooted = true;
  auto g = super::Apply(r->config, rooted);
  CHECK(g.certd.find("[revocation]\ncheck = false\nrefresh = \"43200s\"\n") != std::string::npos);
  // certd's own parser reads it: the reference config's [revocation] in apply_test.

  auto none = super::ReadSuperConfig("hostname = \"gw\"\n", "config.toml");
  REQUIRE(none);
  CHECK(super::Apply(none->config, rooted).certd.find("revocation") == std::string::npos);

  CHECK(ErrorOf("[revocation]\ncheck = \"no\"\n").find("config.toml:2:9: 'revocation.check'") == 0);
  CHECK(ErrorOf("[revocation]\nrefresh = \"soon\"\n")
            .find("config.toml:2:11: 'revocation.refresh'") == 0);
  CHECK(ErrorOf("[revocation]\ninterval = \"1d\"\n").find("'revocation.interval': unknown key") !=
        std::string::npos);
}

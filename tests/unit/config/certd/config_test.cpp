// config/certd/config: certd's config.toml as an operator sees its errors — file:line:col, the
// dotted key, "did you mean" for a misspelt key, and what to change for bad profile values.
#include <catch2/catch.hpp>
#include <string>

#include "common/fs.hpp"
#include "config/certd/config.hpp"
#include "tests/support/config_root.hpp"

using namespace edgesec;
using certd::LoadCertdConfig;

namespace {

struct ConfigRoot : testing::ConfigRoot<certd::CertdConfig> {
  ConfigRoot() : testing::ConfigRoot<certd::CertdConfig>("certd", &certd::LoadCertdConfig) {}
};

}  // namespace

TEST_CASE("certd config without a file has the default and ca profiles") {
  ConfigRoot root;
  auto c = LoadCertdConfig(root.layout);
  REQUIRE(c);
  CHECK(c->profiles.count("default") == 1);
  CHECK(c->profiles.at("ca").ca);
  CHECK(c->socket_mode == 0660);
}

TEST_CASE("certd config reads profiles, credentials, preloaded certs and principals") {
  ConfigRoot root;
  auto c = root.Load(R"(
socket_mode = "0666"
[preloaded_certs]
pre = "file:///etc/pre.pem"
[profiles.server]
validity_days = 90
extended_key_usage = ["serverAuth"]
san = "none"
[profiles.sub]
ca = true
pathlen = 0
key_usage = ["keyCertSign", "cRLSign"]
[[credential]]
cert_id = "web"
method = "self_signed"
profile = "server"
[[principal]]
uid = 1001
certs = ["web*"]
)");
  INFO((c ? "" : c.error().Describe()));
  REQUIRE(c);
  CHECK(c->socket_mode == 0666);
  CHECK(c->preloaded_certs.at("pre") == "/etc/pre.pem");
  CHECK(c->profiles.at("server").validity_days == 90);
  CHECK(c->profiles.at("server").san_policy == certd::x509::SanPolicy::kNone);
  CHECK(c->profiles.at("sub").pathlen == 0);
  CHECK(c->credentials.at("web").key_id == "web");
  CHECK(c->principals.at(0).uid == 1001);
}

TEST_CASE("certd config errors carry file:line:col and the dotted key") {
  ConfigRoot root;
  std::string e = root.Error("socket_mode = \"0660\"\n\n[profiles.short]\nvalidity_days = 0\n");
  CHECK_THAT(e, Catch::StartsWith(root.path + ":4:"));
  CHECK_THAT(
      e, Catch::Contains("profiles.short.validity_days") && Catch::Contains("between 1 and 36500"));

  e = root.Error("socket_mode = 660\n");
  CHECK_THAT(e, Catch::StartsWith(root.path + ":1:") && Catch::Contains("socket_mode"));
  e = root.Error("socket_mode = \"rw-rw----\"\n");
  CHECK_THAT(e, Catch::Contains("octal mode"));
}

TEST_CASE("an unknown certd config key is an error with did-you-mean") {
  ConfigRoot root;
  std::string e = root.Error("[profiles.short]\nvalidty_days = 3\n");
  CHECK_THAT(e, Catch::StartsWith(root.path + ":2:"));
  CHECK_THAT(e, Catch::Contains("validty_days") &&
                    Catch::Contains("did you mean 'profiles.short.validity_days'?"));
  e = root.Error("keyd_sockett = \"/run/k.sock\"\n");
  CHECK_THAT(e, Catch::Contains("did you mean 'keyd_socket'?"));
}

TEST_CASE("bad profile values say what to change") {
  ConfigRoot root;
  CHECK_THAT(root.Error("[profiles.p]\nsan = \"all\"\n"),
             Catch::Contains("profiles.p.san") && Catch::Contains("\"copy\""));
  CHECK_THAT(root.Error("[profiles.p]\nkey_usage = [\"signEverything\"]\n"),
             Catch::Contains("profiles.p.key_usage") &&
                 Catch::Contains("unknown key usage 'signEverything'"));
  CHECK_THAT(root.Error("[profiles.p]\nextended_key_usage = [\"serverAuthh\"]\n"),
             Catch::Contains("profiles.p.extended_key_usage") && Catch::Contains("'serverAuthh'"));
  CHECK_THAT(root.Error("[profiles.p]\npathlen = 1\n"),
             Catch::Contains("profiles.p.pathlen") && Catch::Contains("needs ca = true"));
  CHECK_THAT(root.Error("[profiles.p]\nca = true\npathlen = -1\n"),
             Catch::Contains("must not be negative"));
  CHECK_THAT(root.Error("[profiles.p]\nvalidity_days = \"ten\"\n"),
             Catch::Contains("profiles.p.validity_days"));
  CHECK_THAT(root.Error("[[credential]]\ncert_id = \"x\"\nprofile = \"nope\"\n"),
             Catch::Contains("credential 'x' names profile 'nope'"));
  CHECK_THAT(root.Error("[[credential]]\ncert_id = \"x\"\nmethod = \"magic\"\n"),
             Catch::Contains("method"));
  CHECK_THAT(root.Error("[preloaded_certs]\npre = \"http://x/pre.pem\"\n"),
             Catch::Contains("file:///"));
}

TEST_CASE("certd's max_requests: 10 by default, else the positive integer given") {
  ConfigRoot root;
  auto c = LoadCertdConfig(root.layout);
  REQUIRE(c);
  CHECK(c->max_requests == 10);
  auto set = root.Load("max_requests = 3\n");
  REQUIRE(set);
  CHECK(set->max_requests == 3);
  std::string message = root.Error("socket_mode = \"0660\"\nmax_requests = 0\n");
  CHECK_THAT(message, Catch::StartsWith(root.path + ":2:") &&
                          Catch::Contains("'max_requests': must be a positive integer"));
}

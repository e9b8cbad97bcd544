// config/certd/config: the credential fields every method shares (subject, SANs, algorithm), the
// renewal policy keys and their grammar errors (file:line:col), the quickstart Edge CA credential
// and the built-in profiles.
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

TEST_CASE(
    "without a config file certd has the quickstart edge-ca credential and the built-in profiles") {
  ConfigRoot root;
  auto c = LoadCertdConfig(root.layout);
  REQUIRE(c);
  const auto& ca = c->credentials.at("edge-ca");
  CHECK(ca.key_id == "edge-ca");
  CHECK(IssuanceMethodName(ca.method) == std::string("self_signed"));
  CHECK(ca.profile == "edge-ca");
  CHECK(ca.policy.auto_renew);
  REQUIRE(ca.subject.size() == 1);
  CHECK(ca.subject[0].first == "CN");
  CHECK_THAT(ca.subject[0].second, Catch::StartsWith("edgesec Edge CA "));
  CHECK(ca.subject[0].second.size() <= 64);
  const auto& p = c->profiles.at("edge-ca");
  CHECK((p.ca && p.pathlen == 0 && p.validity_days == 90));
  CHECK(p.key_usage == std::vector<std::string>{"digitalSignature", "keyCertSign"});
  CHECK(c->profiles.at("module-server").extended_key_usage ==
        std::vector<std::string>{"serverAuth"});
  CHECK(c->profiles.at("module-client").extended_key_usage ==
        std::vector<std::string>{"clientAuth"});
  CHECK(c->profiles.at("module-server").validity_days == 30);
}

TEST_CASE("the quickstart CN takes the configured hostname and is cut to 64 characters") {
  ConfigRoot root;
  auto c = root.Load("hostname = \"gw-" + std::string(80, 'x') + "\"\n");
  REQUIRE(c);
  std::string cn = c->credentials.at("edge-ca").subject[0].second;
  CHECK(cn.size() == 64);
  CHECK_THAT(cn, Catch::StartsWith("edgesec Edge CA gw-xxx"));
}

TEST_CASE(
    "a config's own edge-ca credential replaces the quickstart one; quickstart = false drops it") {
  ConfigRoot root;
  auto own = root.Load(
      "[[credential]]\ncert_id = \"edge-ca\"\nmethod = \"local_ca\"\nissuer_cert = \"root\"\n");
  REQUIRE(own);
  CHECK(IssuanceMethodName(own->credentials.at("edge-ca").method) == std::string("local_ca"));
  auto other = root.Load("[[credential]]\ncert_id = \"web\"\nmethod = \"self_signed\"\n");
  REQUIRE(other);
  CHECK(other->credentials.count("edge-ca") == 1);
  auto off = root.Load("[edge_ca]\nquickstart = false\n");
  REQUIRE(off);
  CHECK(off->credentials.count("edge-ca") == 0);
}

TEST_CASE("subject, SANs, algorithm and the renewal policy are read for every method") {
  ConfigRoot root;
  auto c = root.Load(R"(
[renewal]
tick = "2s"
retry_floor = "1s"
[[credential]]
cert_id = "web"
method = "self_signed"
common_name = "web.local"
sans = ["DNS:web.local"]
algorithm = "ec-p384"
threshold = "10d"
retry = "2h"
rotate_key = false
auto_renew = false
expiry_warnings = ["14d", "12h"]
[[credential]]
cert_id = "leaf"
method = "local_ca"
issuer_cert = "edge-ca"
[credential.subject]
O = "Example"
)");
  INFO((c ? "" : c.error().Describe()));
  REQUIRE(c);
  CHECK(c->renewal_tick == 2);
  CHECK(c->retry_floor == 1);
  const auto& web = c->credentials.at("web");
  CHECK(web.subject == std::vector<std::pair<std::string, std::string>>{{"CN", "web.local"}});
  CHECK(web.sans == std::vector<std::string>{"DNS:web.local"});
  CHECK(web.algorithm == "ec-p384");
  CHECK(web.policy.threshold.value == 10 * 86400);
  CHECK(web.policy.retry.value == 7200);
  CHECK_FALSE(web.policy.rotate_key);
  CHECK_FALSE(web.policy.auto_renew);
  REQUIRE(web.policy.expiry_warnings.size() == 2);
  CHECK(web.policy.expiry_warnings[1].value == 12 * 3600);
  const auto& leaf = c->credentials.at("leaf");
  CHECK(leaf.policy.threshold.text == "80%");
  CHECK(leaf.policy.retry.text == "4%");
  CHECK(leaf.policy.rotate_key);
  CHECK(leaf.SubjectOrDefault() ==
        std::vector<std::pair<std::string, std::string>>{{"O", "Example"}});
}

TEST_CASE("bad renewal policy values are errors at file:line:col naming the key") {
  ConfigRoot root;
  std::string head = "[[credential]]\ncert_id = \"x\"\nmethod = \"self_signed\"\n";
  std::string e = root.Error(head + "threshold = \"0%\"\n");
  CHECK_THAT(e, Catch::StartsWith(root.path + ":4:") && Catch::Contains("threshold") &&
                    Catch::Contains("zero"));
  CHECK_THAT(root.Error(head + "threshold = \"100%\"\n"), Catch::Contains("more than 99%"));
  CHECK_THAT(root.Error(head + "retry = \"-5m\"\n"),
             Catch::Contains("retry") && Catch::Contains("negative"));
  CHECK_THAT(root.Error(head + "retry = \"5 weeks\"\n"), Catch::Contains("unknown unit"));
  CHECK_THAT(root.Error(head + "threshold = \"30\"\n"), Catch::Contains("no unit"));
  CHECK_THAT(root.Error(head + "expiry_warnings = [\"10%\"]\n"),
             Catch::Contains("expiry_warnings") && Catch::Contains("percentage"));
  CHECK_THAT(root.Error(head + "auto_renew = \"no\"\n"), Catch::Contains("auto_renew"));
  CHECK_THAT(root.Error(head + "algorithm = \"dsa-1024\"\n"), Catch::Contains("algorithm"));
  CHECK_THAT(root.Error("[renewal]\ntick = \"0s\"\n"), Catch::Contains("renewal.tick"));
  CHECK_THAT(root.Error("[edge_ca]\nquickstart = \"yes\"\n"),
             Catch::Contains("edge_ca.quickstart"));
}

// daemon/server/module_certs: the names a module cert carries.
#include "daemon/server/module_certs.hpp"

#include <catch2/catch.hpp>

#include "daemon/api/identity_api.hpp"

using namespace edgesec;
using namespace edgesec::identityd;

TEST_CASE("module ids become DNS names: lower case, only a-z0-9-") {
  CHECK(ModuleDnsName("$edgeHub") == "edgehub");
  CHECK(ModuleDnsName("Temp.Sensor_01") == "tempsensor01");
  CHECK(ModuleDnsName("my-module") == "my-module");
  CHECK(ModuleDnsName("$$..") == "");
  CHECK(ModuleDnsName("-") == "");  // not a DNS label: no leading or trailing '-'
  CHECK(ModuleDnsName("--") == "");
  CHECK(ModuleDnsName("-edge-Hub-") == "edge-hub");
  CHECK(ModuleDnsName(std::string(62, 'a') + "-b") == std::string(62, 'a'));
  CHECK(ModuleDnsName(std::string(100, 'a')).size() == 63);  // one DNS label at most
}

TEST_CASE("server SANs: the common name as DNS or IP, then the module id") {
  CHECK(ServerSans("edgegateway.local", "$edgeHub") ==
        std::vector<std::string>{"DNS:edgegateway.local", "DNS:edgehub"});
  CHECK(ServerSans("10.1.2.3", "edgehub") ==
        std::vector<std::string>{"IP:10.1.2.3", "DNS:edgehub"});
  CHECK(ServerSans("fd00::1", "edgehub") == std::vector<std::string>{"IP:fd00::1", "DNS:edgehub"});
  // The module's own name is not repeated; a name that is no DNS name is left out of the SANs.
  CHECK(ServerSans("edgehub", "edgeHub") == std::vector<std::string>{"DNS:edgehub"});
  CHECK(ServerSans("my gateway", "edgehub") == std::vector<std::string>{"DNS:edgehub"});
  CHECK(ServerSans("a,DNS:evil.example", "m") == std::vector<std::string>{"DNS:m"});
}

TEST_CASE("workload requests name the missing or mistyped field") {
  auto missing = api::ServerCertRequest::FromJson(Json::object());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("commonName") != std::string::npos);
  auto wrong = api::ServerCertRequest::FromJson(Json{{"commonName", 5}});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("commonName") != std::string::npos);
  auto ok = api::ServerCertRequest::FromJson(Json{{"commonName", "a"}, {"unknown", true}});
  REQUIRE(ok);
  CHECK(ok->common_name == "a");

  auto module = api::CreateModuleRequest::FromJson(
      Json{{"type", "local"}, {"moduleId", "m"}, {"localIdOpts", {{"attributes", "client"}}}});
  REQUIRE(module);
  CHECK(module->attributes == "client");
  auto bad = api::CreateModuleRequest::FromJson(
      Json{{"type", "local"}, {"moduleId", "m"}, {"localIdOpts", {{"attributes", "both"}}}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("localIdOpts.attributes") != std::string::npos);
}

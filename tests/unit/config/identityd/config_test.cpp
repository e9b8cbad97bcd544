// config/identityd/config: identityd's config.toml as an operator sees its errors — file:line:col,
// the dotted key and what to change — and the embedded defaults.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>
#include <string>

#include "common/fs.hpp"
#include "config/identityd/config.hpp"
#include "tests/support/config_root.hpp"

using namespace edgesec;
using identityd::LoadIdentitydConfig;

namespace {

struct ConfigRoot : testing::ConfigRoot<identityd::IdentitydConfig> {
  ConfigRoot()
      : testing::ConfigRoot<identityd::IdentitydConfig>("identityd",
                                                        &identityd::LoadIdentitydConfig) {}
};

}  // namespace

TEST_CASE("identityd without a config file uses the quickstart defaults") {
  ConfigRoot root;
  auto c = LoadIdentitydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->edge_ca_cert == "edge-ca");
  CHECK(c->module_validity_days == 30);
  CHECK(c->module_key_algorithm == "ec-p256");
  CHECK(c->socket_mode == 0660);
  CHECK(c->workload_socket_mode == 0666);
  CHECK(c->device_cert.empty());
  CHECK(c->manifest_trust_bundle_cert.empty());
  CHECK(c->principals.empty());
}

TEST_CASE("a full identityd config is read") {
  ConfigRoot root;
  auto c = root.Load(R"(
socket_mode = "0600"
trust_bundle_cert = "file:///etc/edgesec/root.pem"
manifest_trust_bundle_cert = "file:///etc/edgesec/manifest.pem"
[edge_ca]
cert_id = "my-edge-ca"
on_change = ["/usr/bin/systemctl", "reload", "edgehub.service"]
[module_certs]
validity_days = 7
algorithm = "rsa-2048"
[device_identity]
cert_id = "device-id"
key_id = "device-key"
device_id = "gw-1"
[[principal]]
uid = 1000
modules = ["edgehub", "$edgeAgent"]
[[principal]]
uid = 1001
idtype = "device"
)");
  REQUIRE(c);
  CHECK(c->socket_mode == 0600);
  CHECK(c->trust_bundle_cert == "/etc/edgesec/root.pem");
  CHECK(c->manifest_trust_bundle_cert == "/etc/edgesec/manifest.pem");
  CHECK(c->edge_ca_cert == "my-edge-ca");
  CHECK(c->edge_ca_on_change.size() == 3);
  CHECK(c->module_validity_days == 7);
  CHECK(c->module_key_algorithm == "rsa-2048");
  CHECK(c->device_cert == "device-id");
  CHECK(c->device_key == "device-key");
  CHECK(c->device_id == "gw-1");
  REQUIRE(c->principals.size() == 2);
  CHECK(c->principals[0].modules == std::vector<std::string>{"edgehub", "$edgeAgent"});
  CHECK(c->principals[0].idtype == "module");
  CHECK(c->principals[1].idtype == "device");
}

TEST_CASE("the device identity's key id defaults to its cert id") {
  ConfigRoot root;
  auto c = root.Load("[device_identity]\ncert_id = \"dev\"\n");
  REQUIRE(c);
  CHECK(c->device_key == "dev");
}

TEST_CASE("identityd config errors name the file, position and key, and say what to change") {
  ConfigRoot root;
  std::string e = root.Error("[module_certs]\nalgorithm = \"dsa-1024\"\n");
  CHECK(e.find(root.path + ":2:") != std::string::npos);
  CHECK(e.find("module_certs.algorithm") != std::string::npos);
  CHECK(e.find("ec-p256") != std::string::npos);

  e = root.Error("[module_certs]\nvalidity_days = 0\n");
  CHECK(e.find("module_certs.validity_days") != std::string::npos);

  e = root.Error("[edge_ca]\non_change = [\"reload-modules\"]\n");
  CHECK(e.find("edge_ca.on_change") != std::string::npos);
  CHECK(e.find("absolute path") != std::string::npos);

  e = root.Error("[[principal]]\nuid = 1000\n");
  CHECK(e.find("modules") != std::string::npos);
  CHECK(e.find("idtype = \"device\"") != std::string::npos);

  e = root.Error("[[principal]]\nuid = 1000\nidtype = \"admin\"\n");
  CHECK(e.find("principal[0].idtype") != std::string::npos);

  e = root.Error("[[principal]]\nuid = 1000\nmodules = [\"bad/id\"]\n");
  CHECK(e.find("module id") != std::string::npos);

  e = root.Error("trust_bundle_cert = \"root.pem\"\n");
  CHECK(e.find("absolute path") != std::string::npos);

  e = root.Error("socket_mode = \"0600\"\nmanifest_trust_bundle_cert = \"https://x/m.pem\"\n");
  CHECK(e.find(root.path + ":2:") != std::string::npos);
  CHECK(e.find("manifest_trust_bundle_cert") != std::string::npos);
  CHECK(e.find("file:///absolute/path") != std::string::npos);

  e = root.Error("socket_mode = \"rw\"\n");
  CHECK(e.find("octal") != std::string::npos);

  e = root.Error("[device_identity]\nkey_id = \"k\"\n");
  CHECK(e.find("cert_id") != std::string::npos);

  e = root.Error("[edge_ca]\ncert_idd = \"x\"\n");
  CHECK(e.find("did you mean") != std::string::npos);
  CHECK(e.find("cert_id") != std::string::npos);

  e = root.Error("[edge_ca\n");
  CHECK(e.find(root.path + ":1:") != std::string::npos);
}

TEST_CASE("the reference config daemon/config.example.toml loads, and so does it uncommented") {
  const char* src = std::getenv("EDGESEC_SOURCE_ROOT");
  REQUIRE(src != nullptr);
  auto text = fs::ReadFile(std::string(src) + "/daemon/config.example.toml");
  REQUIRE(text);
  ConfigRoot root;
  REQUIRE(root.Load(*text));
  // Every commented key line, uncommented, is a valid config too (the reference stays true).
  std::string uncommented;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos) line = line.substr(2);
    if (line.rfind("# [", 0) == 0 && line.back() == ']') line = line.substr(2);
    uncommented += line + "\n";
  }
  auto c = root.Load(uncommented);
  if (!c) FAIL(c.error().message);
  CHECK(c->device_cert == "device-id");
  CHECK(c->principals.size() == 2);
}

TEST_CASE("identityd's two sockets have a max_requests each: 10 by default") {
  ConfigRoot root;
  auto c = LoadIdentitydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->max_requests == 10);
  CHECK(c->workload_max_requests == 10);
  auto set = root.Load("max_requests = 4\nworkload_max_requests = 40\n");
  REQUIRE(set);
  CHECK(set->max_requests == 4);
  CHECK(set->workload_max_requests == 40);
  auto only_workload = root.Load("workload_max_requests = 2\n");
  REQUIRE(only_workload);
  CHECK(only_workload->max_requests == 10);
  CHECK(only_workload->workload_max_requests == 2);
  std::string message = root.Error("workload_max_requests = -1\n");
  CHECK_THAT(message, Catch::StartsWith(root.path + ":1:") &&
                          Catch::Contains("'workload_max_requests': must be a positive integer"));
  CHECK_THAT(root.Error("max_requests = \"10\"\n"),
             Catch::Contains("'max_requests': must be an integer, not a string"));
}

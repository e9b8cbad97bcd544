// config/super/import_yaml: IoT Edge 1.1 config.yaml shapes → config.toml that the super config's
// reader accepts with the meaning intended; warnings and errors with file:line:col.
#include "config/super/import_yaml.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "config/super/peer_only.hpp"
#include "config/super/super.hpp"
#include "config/toml_reader.hpp"

namespace super = edgesec::config::super;

namespace {

// 1.1's default config.yaml after `provisioning` was filled in with a connection string.
const char* const kConnectionString = R"(# IoT Edge 1.1
provisioning:
  source: "manual"
  device_connection_string: "HostName=hub.azure-devices.net;DeviceId=gw-1;SharedAccessKey=c2VjcmV0"

agent:
  name: "edgeAgent"
  type: "docker"
  env: {}
  config:
    image: "mcr.microsoft.com/azureiotedge-agent:1.1"
    auth: {}

hostname: "gw-1"

connect:
  management_uri: "unix:///var/run/iotedge/mgmt.sock"
  workload_uri: "unix:///var/run/iotedge/workload.sock"

listen:
  management_uri: "fd://iotedge.mgmt.socket"
  workload_uri: "fd://iotedge.socket"

homedir: "/var/lib/iotedge"

moby_runtime:
  uri: "unix:///var/run/docker.sock"
)";

super::ImportResult Import(const std::string& yaml) {
  auto r = super::ImportIotEdge11Yaml(yaml, "config.yaml");
  if (!r) FAIL(r.error().message);
  return *r;
}

std::string ErrorOf(const std::string& yaml) {
  auto r = super::ImportIotEdge11Yaml(yaml, "config.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == edgesec::ErrorKind::kConfig);
  return r.error().message;
}

super::ReadResult Read(const std::string& toml) {
  auto r = super::ReadSuperConfig(toml, "config.toml");
  if (!r) FAIL(r.error().message + "\n--- the imported config.toml:\n" + toml);
  return *r;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a 1.1 device connection string is kept with config.toml's warning, the rest noted") {
  auto r = Import(kConnectionString);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] ==
        "config.yaml:4:3: 'provisioning.device_connection_string': IoT Hub authentication is used "
        "only by IoT Edge's cloud or container runtime; kept as [provisioning] connection_string, "
        "which edgesec ignores (no device identity)");
  // The value round-trips through TOML escaping.
  auto parsed = edgesec::config::ParseToml(r.toml, "config.toml");
  REQUIRE(parsed);
  CHECK(parsed->table->at_path("provisioning.connection_string").value<std::string>() ==
        "HostName=hub.azure-devices.net;DeviceId=gw-1;SharedAccessKey=c2VjcmV0");
  CHECK(parsed->table->at_path("provisioning.source").value<std::string>() == "manual");
  // config.toml's reader keeps its own warning for it, and the config means what 1.1's did here.
  auto read = Read(r.toml);
  REQUIRE(read.warnings.size() == 1);
  CHECK(Has(read.warnings[0], "'provisioning.connection_string': IoT Hub authentication"));
  CHECK(read.config.hostname == "gw-1");
  CHECK(read.config.device.mode == super::DeviceIdentity::Mode::kNone);
  CHECK(read.config.edge_ca.mode == super::EdgeCa::Mode::kQuickstart);
  CHECK(Has(r.toml, "No [edge_ca]: config.yaml names no device CA"));
  CHECK(Has(r.toml,
            "#   agent (line 6)\n#   connect (line 16)\n#   listen (line 20)\n"
            "#   homedir (line 24)\n#   moby_runtime (line 26)\n"));
}

TEST_CASE("a manual x509 identity becomes [provisioning.authentication] with file:// URIs") {
  auto r = Import(R"(provisioning:
  source: manual
  authentication:
    method: x509
    iothub_hostname: hub.azure-devices.net
    device_id: gw-2
    identity_cert: "file:///var/secrets/device-id.pem"
    identity_pk: /var/secrets/device-id.key.pem
  dynamic_reprovisioning: false
hostname: gw-2
)");
  CHECK(r.warnings.empty());
  auto read = Read(r.toml);
  CHECK(read.config.device.mode == super::DeviceIdentity::Mode::kFiles);
  CHECK(read.config.device.cert == "file:///var/secrets/device-id.pem");
  CHECK(read.config.device.pk == "file:///var/secrets/device-id.key.pem");  // a path became a URI
  // iothub_hostname and device_id are kept for IoT Edge; config.toml's reader warns about each.
  REQUIRE(read.warnings.size() == 2);
  CHECK(Has(read.warnings[0], "'provisioning.iothub_hostname'"));
  CHECK(Has(read.warnings[1], "'provisioning.device_id'"));
  CHECK(Has(r.toml, "#   provisioning.dynamic_reprovisioning (line 9)"));
}

TEST_CASE("the authentication form of a connection string is the same as the short one") {
  auto r = Import(
      "provisioning:\n  source: manual\n  authentication:\n    method: device_connection_string\n"
      "    device_connection_string: \"HostName=h;DeviceId=d;SharedAccessKey=aw==\"\n");
  REQUIRE(r.warnings.size() == 1);
  CHECK(Has(r.warnings[0],
            "config.yaml:5:5: 'provisioning.authentication.device_connection_string'"));
  CHECK(Has(r.toml, "connection_string = \"HostName=h;DeviceId=d;SharedAccessKey=aw==\""));
}

TEST_CASE("dps is refused as config.toml refuses it, at the source's position") {
  std::string e = ErrorOf(R"(provisioning:
  source: "dps"
  global_endpoint: "https://global.azure-devices-provisioning.net"
  scope_id: "0ne00000000"
  attestation:
    method: "symmetric_key"
    registration_id: "gw-3"
    symmetric_key: "c2VjcmV0"
hostname: gw-3
)");
  CHECK(e == std::string("config.yaml:2:11: 'provisioning.source': ") + super::kDpsRefused);
  // The same words as config.toml's reader.
  auto toml = super::ReadSuperConfig("[provisioning]\nsource = \"dps\"\n", "config.toml");
  REQUIRE_FALSE(toml);
  CHECK(toml.error().message ==
        std::string("config.toml:2:10: 'provisioning.source': ") + super::kDpsRefused);
  CHECK(Has(ErrorOf("provisioning:\n  source: external\n  endpoint: \"http://localhost:9999\"\n"),
            "config.yaml:2:11: 'provisioning.source': external provisioning is outside edgesec"));
}

TEST_CASE("the device CA files become the Edge CA from files and trusted_ca_certs the bundle") {
  auto r = Import(R"(certificates:
  device_ca_cert: "file:///var/secrets/iot-edge-device-ca-full-chain.cert.pem"
  device_ca_pk: "/var/secrets/iot-edge-device-ca.key.pem"
  trusted_ca_certs: "file:///var/secrets/azure-iot-test-only.root.ca.cert.pem"
  auto_generated_ca_lifetime_days: 30
)");
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] ==
        "config.yaml:5:3: 'certificates.auto_generated_ca_lifetime_days': sets the lifetime of a "
        "generated CA, but the Edge CA comes from 'device_ca_cert'; not imported");
  auto read = Read(r.toml);
  CHECK(read.warnings.empty());
  CHECK(read.config.edge_ca.mode == super::EdgeCa::Mode::kFiles);
  CHECK(read.config.edge_ca.cert == "file:///var/secrets/iot-edge-device-ca-full-chain.cert.pem");
  CHECK(read.config.edge_ca.pk == "file:///var/secrets/iot-edge-device-ca.key.pem");
  CHECK(read.config.trust_bundle_cert ==
        "file:///var/secrets/azure-iot-test-only.root.ca.cert.pem");
  CHECK_FALSE(read.config.edge_ca.quickstart_expiry_days);
  CHECK(Has(r.toml, "No device identity: config.yaml has no provisioning section."));
}

TEST_CASE("the generated CA's lifetime alone is the quickstart Edge CA's expiry") {
  auto read = Read(Import("certificates:\n  auto_generated_ca_lifetime_days: 45\n").toml);
  CHECK(read.config.edge_ca.mode == super::EdgeCa::Mode::kQuickstart);
  CHECK(read.config.edge_ca.quickstart_expiry_days == 45);
  // Left-empty placeholders, as in 1.1's template, are no settings.
  auto empty = Read(Import("certificates:\n  device_ca_cert:\n  device_ca_pk: ~\n").toml);
  CHECK(empty.config.edge_ca.mode == super::EdgeCa::Mode::kQuickstart);
  CHECK(ErrorOf("certificates:\n  auto_generated_ca_lifetime_days: ninety\n") ==
        "config.yaml:2:36: 'certificates.auto_generated_ca_lifetime_days': must be a number of "
        "days from 1 to 36500");
}

TEST_CASE("unknown keys are warnings with line:col and a near miss, and are not imported") {
  auto r = Import(R"(hostname: gw-4
certificates:
  device_ca_certs: "file:///a.pem"
provisioning:
  source: manual
  device_connection_string: "HostName=h;DeviceId=d;SharedAccessKey=aw=="
  extra: 1
mystery:
  a: 1
)");
  REQUIRE(r.warnings.size() == 4);
  CHECK(r.warnings[0] ==
        "config.yaml:3:3: 'certificates.device_ca_certs': unknown key (IoT Edge 1.1's config.yaml "
        "has no such setting); not imported; did you mean 'device_ca_cert'?");
  CHECK(Has(r.warnings[1], "config.yaml:7:3: 'provisioning.extra': unknown key"));
  CHECK(Has(r.warnings[2], "config.yaml:6:3: 'provisioning.device_connection_string'"));
  CHECK(Has(r.warnings[3], "config.yaml:8:1: 'mystery': unknown key"));
  CHECK_FALSE(Has(r.toml, "mystery"));
  CHECK_FALSE(Has(r.toml, "a.pem"));
  Read(r.toml);
}

TEST_CASE("malformed YAML is an error with line:col and nothing else") {
  // yaml-cpp 0.7 alone would take these: a quote never closed, a last line that is no key.
  CHECK(ErrorOf("provisioning:\n  source: \"manual\n") ==
        "config.yaml:2:11: not valid YAML: this quoted string is never closed");
  CHECK(ErrorOf("hostname: 'gw\n") ==
        "config.yaml:1:11: not valid YAML: this quoted string is never closed");
  CHECK(Has(ErrorOf("hostname: gw\nnot-a-key\n"), "config.yaml:2:1: not valid YAML: "));
  CHECK(Import("hostname: 'g''w'\nprovisioning:\n  device_connection_string: \"a\\\"b\"\n")
            .toml.find("connection_string = \"a\\\"b\"") != std::string::npos);
  std::string e = ErrorOf("hostname: gw\ncertificates:\n  device_ca_cert: [\"file:///a\"\n");
  CHECK(e.rfind("config.yaml:4:1: not valid YAML: ", 0) == 0);
  CHECK(Has(ErrorOf("provisioning:\n\tsource: manual\n"), "config.yaml:2:8: not valid YAML: "));
  CHECK(ErrorOf("") == "config.yaml: holds no settings; not an IoT Edge 1.1 config.yaml");
  CHECK(Has(ErrorOf("- a\n- b\n"), "config.yaml:1:1: not an IoT Edge 1.1 config.yaml"));
  CHECK(Has(ErrorOf("hostname: a\n---\nhostname: b\n"), "a second YAML document"));
}

TEST_CASE("values of the wrong form name the key, where it is and what to write") {
  CHECK(ErrorOf("certificates:\n  device_ca_cert: [a]\n  device_ca_pk: /k\n") ==
        "config.yaml:2:3: 'certificates.device_ca_cert': must be a string");
  CHECK(ErrorOf("certificates:\n  device_ca_cert: \"<ADD URI TO DEVICE CA CERTIFICATE HERE>\"\n") ==
        "config.yaml:2:19: 'certificates.device_ca_cert': '<ADD URI TO DEVICE CA CERTIFICATE "
        "HERE>' must be a file:///absolute/path URI or an absolute path (IoT Edge 1.1 read "
        "certificates and keys from files only)");
  CHECK(Has(ErrorOf("certificates:\n  device_ca_cert: file://host/a.pem\n  device_ca_pk: /k\n"),
            "names a host; write file:///absolute/path"));
  CHECK(ErrorOf("certificates:\n  device_ca_cert: /a.pem\n") ==
        "config.yaml:2:19: 'certificates.device_ca_cert': needs 'certificates.device_ca_pk', its "
        "private key");
  CHECK(Has(ErrorOf("provisioning:\n  source: manual\n  authentication:\n    method: x509\n"
                    "    identity_cert: /c.pem\n"),
            "config.yaml:4:13: 'provisioning.authentication.method': \"x509\" needs"));
  CHECK(Has(ErrorOf("provisioning:\n  device_connection_string: \"x\"\n  authentication:\n"
                    "    method: x509\n"),
            "config.yaml:3:3: 'provisioning.authentication': give"));
  CHECK(ErrorOf("hostname: gw\nhostname: gw2\n") ==
        "config.yaml:2:1: 'hostname': given twice (first on line 1); keep one");
  CHECK(Has(ErrorOf("hostname: \"gw 1\"\n"), "config.yaml:1:11: 'hostname': must be a host name"));
  CHECK(Has(ErrorOf("provisioning: manual\n"), "'provisioning': must be a mapping"));
}

TEST_CASE("the output is deterministic and its comments stay comments") {
  std::string yaml = "hostname: gw\nprovisioning:\n  source: manual\n";
  auto path_with_newline = super::ImportIotEdge11Yaml(yaml, "odd\nname.yaml");
  REQUIRE(path_with_newline);
  CHECK(Has(path_with_newline->toml, "'odd?name.yaml'"));
  Read(path_with_newline->toml);
  CHECK(Import(kConnectionString).toml == Import(kConnectionString).toml);
  auto none = Import(yaml);
  REQUIRE(none.warnings.size() == 1);
  CHECK(Has(none.warnings[0], "config.yaml:2:1: 'provisioning': manual provisioning with neither"));
}

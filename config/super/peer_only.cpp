// What only the peer's cloud and container runtime uses (DESIGN.md, "Configuration"): accepted with
// one warning each and removed before the table-driven reader sees the file.
#include "config/super/peer_only.hpp"

#include "config/toml_reader.hpp"

namespace edgesec::config::super {
namespace {

// Top-level keys and tables (a table with everything under it).
const char* const kTopLevel[] = {
    "homedir",
    "cloud_timeout_sec",
    "cloud_retries",
    "auto_reprovisioning_mode",
    "prefer_module_identity_cache",
    "parent_hostname",
    "local_gateway_hostname",
    "imported_master_encryption_key",
    "allow_elevated_docker_permissions",
    "localid",
    "agent",
    "connect",
    "listen",
    "watchdog",
    "moby_runtime",
};
// Manual IoT Hub authentication under [provisioning].
const char* const kProvisioning[] = {"iothub_hostname", "device_id", "connection_string"};

std::string WarningFor(const std::string& file, const toml::node& node, const std::string& dotted,
                       const std::string& what) {
  return PositionText(file, node.source()) + ": '" + dotted + "': " + what +
         " is used only by IoT Edge's cloud or container runtime; edgesec ignores it";
}

}  // namespace

const char* const kDpsRefused =
    "DPS provisioning is outside edgesec (it talks to Azure's Device Provisioning Service); use "
    "source = \"manual\" with [provisioning.authentication] method = \"x509\" and the device's "
    "identity_cert / identity_pk, or an issued [provisioning.authentication.identity_cert]";

void PrunePeerOnly(toml::table& root, const std::string& file, std::vector<std::string>* warnings) {
  for (const char* key : kTopLevel) {
    if (const toml::node* n = root.get(key)) {
      warnings->push_back(WarningFor(file, *n, key, n->is_table() ? "this table" : "this setting"));
      root.erase(key);
    }
  }
  toml::table* prov = root.get_as<toml::table>("provisioning");
  if (prov == nullptr) return;
  for (const char* key : kProvisioning) {
    if (const toml::node* n = prov->get(key)) {
      warnings->push_back(
          WarningFor(file, *n, std::string("provisioning.") + key, "IoT Hub authentication"));
      prov->erase(key);
    }
  }
  toml::table* auth = prov->get_as<toml::table>("authentication");
  if (auth == nullptr) return;
  const toml::node* method = auth->get("method");
  if (method && method->value<std::string>() == "sas") {
    // SAS with its device_id_pk (inline or as a table) is one setting: IoT Hub's shared key.
    warnings->push_back(WarningFor(file, *method, "provisioning.authentication.method",
                                   "IoT Hub SAS authentication (method = \"sas\", device_id_pk)"));
    prov->erase("authentication");
  }
}

}  // namespace edgesec::config::super

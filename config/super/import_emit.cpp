// The config.toml that `config import` writes: each imported setting under a comment that names
// where it came from in the 1.1 config.yaml and what edgesec does with it, in config.toml's order
// (top-level keys, then [provisioning], then [edge_ca]).
#include "config/super/import_internal.hpp"
#include "config/toml_writer.hpp"

namespace edgesec::config::super {
namespace {

// User text in a comment stays on its line.
std::string Clean(const std::string& s) {
  std::string out = s;
  for (char& ch : out)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return out;
}

class Out {
 public:
  void Comment(const std::string& text) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      std::string line = text.substr(start, end == std::string::npos ? end : end - start);
      text_ += line.empty() ? "#\n" : "# " + line + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  void Blank() { text_ += "\n"; }
  void Table(const std::string& name) { text_ += "[" + name + "]\n"; }
  void String(const std::string& key, const std::string& value) {
    text_ += key + " = " + TomlString(value) + "\n";
  }
  void Integer(const std::string& key, int64_t value) {
    text_ += key + " = " + std::to_string(value) + "\n";
  }
  std::string text() && { return std::move(text_); }

 private:
  std::string text_;
};

void Provisioning(Out& o, const Imported& in) {
  if (in.auth == Imported::Auth::kNone) {
    o.Comment(in.provisioning ? "No device identity: config.yaml's manual provisioning named none."
                              : "No device identity: config.yaml has no provisioning section.");
    return;
  }
  o.Blank();
  if (in.auth == Imported::Auth::kConnectionString) {
    o.Comment(
        "Device identity (config.yaml 'provisioning', manual with a device connection string).\n"
        "The connection string authenticates to IoT Hub with a shared access key, which only IoT\n"
        "Edge's cloud runtime uses: `edgectl config check` warns about it and edgesec ignores it,\n"
        "so edgesec has no device identity. For one, give the device an X.509 identity:\n"
        "[provisioning.authentication] method = \"x509\" with identity_cert and identity_pk.\n"
        "Keep this file mode 0600: the connection string is a secret.");
    o.Table("provisioning");
    o.String("source", "manual");
    o.String("connection_string", in.connection_string);
    return;
  }
  o.Comment(
      "Device identity (config.yaml 'provisioning', manual with an X.509 identity): the device\n"
      "identity certificate and its key, from files (edgesec reads them, never writes them).");
  o.Table("provisioning");
  o.String("source", "manual");
  if (!in.iothub_hostname.empty() || !in.device_id.empty())
    o.Comment(
        "Used only by IoT Edge's cloud runtime: `edgectl config check` warns, edgesec ignores "
        "them.");
  if (!in.iothub_hostname.empty()) o.String("iothub_hostname", in.iothub_hostname);
  if (!in.device_id.empty()) o.String("device_id", in.device_id);
  o.Blank();
  o.Table("provisioning.authentication");
  o.String("method", "x509");
  o.String("identity_cert", in.identity_cert);
  o.String("identity_pk", in.identity_pk);
}

void EdgeCa(Out& o, const Imported& in) {
  o.Blank();
  if (!in.edge_cert.empty()) {
    o.Comment(
        "The Edge CA from files (config.yaml 'certificates.device_ca_cert' and 'device_ca_pk';\n"
        "IoT Edge 1.2 renamed the device CA certificate the Edge CA certificate): an issuing CA\n"
        "(CA:TRUE, keyCertSign) that edgesec never renews; replace the files and apply again.");
    o.Table("edge_ca");
    o.String("cert", in.edge_cert);
    o.String("pk", in.edge_pk);
    return;
  }
  if (in.quickstart_days) {
    o.Comment(
        "The quickstart Edge CA, self-signed (config.yaml\n"
        "'certificates.auto_generated_ca_lifetime_days'). Unlike IoT Edge 1.1's, edgesec renews "
        "it\n"
        "before it expires. For production, give an Edge CA from your PKI (cert, pk).");
    o.Table("edge_ca");
    o.Integer("auto_generated_edge_ca_expiry_days", *in.quickstart_days);
    return;
  }
  o.Comment(
      "No [edge_ca]: config.yaml names no device CA, so edgesec runs its quickstart Edge CA\n"
      "(self-signed, 90 days, renewed automatically). For production, add an [edge_ca] with the\n"
      "cert and pk of an issuing CA from your PKI.");
}

}  // namespace

std::string EmitImportedToml(const Imported& in, const std::string& source) {
  Out o;
  o.Comment(
      "/etc/edgesec/config.toml, imported by `edgectl config import` from the IoT Edge 1.1\n"
      "config.yaml '" +
      Clean(source) +
      "'. Validate it with `edgectl config check`, then `edgectl config apply`.\n"
      "Every key is explained in edgesec's reference config.toml (config/examples/config.toml\n"
      "in its sources).");
  if (!in.hostname.empty()) {
    o.Blank();
    o.Comment("The host name in the quickstart Edge CA's subject (config.yaml 'hostname').");
    o.String("hostname", in.hostname);
  }
  if (!in.trust_bundle.empty()) {
    o.Blank();
    o.Comment(
        "Trust anchors served first in the trust bundle, e.g. the root of the PKI that issued the\n"
        "Edge CA (config.yaml 'certificates.trusted_ca_certs').");
    o.String("trust_bundle_cert", in.trust_bundle);
  }
  if (in.auth == Imported::Auth::kNone) o.Blank();
  Provisioning(o, in);
  EdgeCa(o, in);
  if (!in.not_imported.empty()) {
    std::string list;
    for (const auto& n : in.not_imported) list += "\n  " + Clean(n);
    o.Blank();
    o.Comment(
        "Not imported: settings of IoT Edge 1.1's own daemon and container runtime, which edgesec\n"
        "has no use for (it runs no modules and talks to no cloud):" +
        list);
  }
  return std::move(o).text();
}

}  // namespace edgesec::config::super

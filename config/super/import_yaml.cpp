// IoT Edge 1.1's config.yaml → edgesec's config.toml: the device CA files and the trust bundle
// ([edge_ca], trust_bundle_cert), the quickstart CA's lifetime, the host name and manual
// provisioning; DPS and external provisioning are refused as config.toml's reader refuses DPS; what
// only 1.1's container runtime used is listed in the output as not imported. yaml-cpp (Debian's
// libyaml-cpp) parses; its exceptions stop in ImportIotEdge11Yaml. The TOML is import_emit.cpp's.
#include "config/super/import_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "config/super/import_internal.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/super.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super {
namespace {

using Names = std::set<std::string, std::less<>>;

struct Entry {
  std::string key, dotted;
  YAML::Node key_node, value;
};

struct Ctx {
  std::string path;
  std::vector<std::string> warnings;
  Imported out;
};

std::string Pos(const Ctx& c, const YAML::Mark& m) {
  if (m.is_null()) return c.path;
  return c.path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// A scalar's error points at the value, a section's (or an empty value's) at its key.
Error Bad(const Ctx& c, const Entry& e, const std::string& message) {
  const YAML::Node& at = e.value.IsScalar() ? e.value : e.key_node;
  return MakeError(ErrorKind::kConfig, Pos(c, at.Mark()) + ": '" + e.dotted + "': " + message);
}

void Warn(Ctx& c, const Entry& e, const std::string& message) {
  c.warnings.push_back(Pos(c, e.key_node.Mark()) + ": '" + e.dotted + "': " + message);
}

void Unknown(Ctx& c, const Entry& e, const Names& known) {
  std::string near = DidYouMean(e.key, known);
  Warn(c, e,
       "unknown key (IoT Edge 1.1's config.yaml has no such setting); not imported" +
           (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
}

// A 1.1 setting that means nothing to edgesec: named in the output's "not imported" comment.
void NotImported(Ctx& c, const Entry& e) {
  c.out.not_imported.push_back(e.dotted + " (line " + std::to_string(e.key_node.Mark().line + 1) +
                               ")");
}

// The entries of a mapping in file order (none for an empty value); kConfig for anything else
// and for a key given twice.
Expected<std::vector<Entry>> Entries(const Ctx& c, const YAML::Node& node, const Entry* parent) {
  std::vector<Entry> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsMap()) {
    if (parent) return Bad(c, *parent, "must be a mapping (its keys indented under it)");
    return MakeError(ErrorKind::kConfig,
                     Pos(c, node.Mark()) +
                         ": not an IoT Edge 1.1 config.yaml: it must be a mapping of settings "
                         "(provisioning:, hostname:, certificates:, …)");
  }
  std::map<std::string, int> seen;  // key → line
  for (auto it = node.begin(); it != node.end(); ++it) {
    Entry e{"", "", it->first, it->second};
    if (!e.key_node.IsScalar())
      return MakeError(ErrorKind::kConfig, Pos(c, e.key_node.Mark()) + ": a key must be a name");
    e.key = e.key_node.Scalar();
    e.dotted = parent ? parent->dotted + "." + e.key : e.key;
    auto [first, fresh] = seen.emplace(e.key, e.key_node.Mark().line + 1);
    if (!fresh)
      return MakeError(ErrorKind::kConfig, Pos(c, e.key_node.Mark()) + ": '" + e.dotted +
                                               "': given twice (first on line " +
                                               std::to_string(first->second) + "); keep one");
    out.push_back(std::move(e));
  }
  return out;
}

const Entry* Find(const std::vector<Entry>& entries, std::string_view key) {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

// A string value; nullopt when the key is left empty (`key:` or `key: ~`).
Expected<std::optional<std::string>> Text(const Ctx& c, const Entry& e) {
  if (e.value.IsNull()) return std::optional<std::string>();
  if (!e.value.IsScalar()) return Bad(c, e, "must be a string");
  return std::optional<std::string>(e.value.Scalar());
}

Expected<std::string> NonEmpty(const Ctx& c, const Entry& e, const std::string& what) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, Text(c, e));
  if (!v || v->empty()) return Bad(c, e, "is empty; give " + what);
  return *v;
}

// 1.1 took a file:// URI or an absolute path; config.toml takes file:///absolute/path.
Expected<std::string> FileUri(const Ctx& c, const Entry& e) {
  EDGESEC_ASSIGN_OR_RETURN(auto v,
                           NonEmpty(c, e, "a file:///absolute/path URI or an absolute path"));
  if (v.rfind("file:///", 0) == 0) return v;
  if (v[0] == '/') return "file://" + v;
  if (v.rfind("file://", 0) == 0)
    return Bad(c, e, "'" + v + "' names a host; write file:///absolute/path");
  return Bad(c, e,
             "'" + v +
                 "' must be a file:///absolute/path URI or an absolute path (IoT Edge 1.1 "
                 "read certificates and keys from files only)");
}

Status Certificates(Ctx& c, const Entry& section) {
  static const Names kKnown = {"device_ca_cert", "device_ca_pk", "trusted_ca_certs",
                               "auto_generated_ca_lifetime_days"};
  EDGESEC_ASSIGN_OR_RETURN(auto entries, Entries(c, section.value, &section));
  const Entry *cert = nullptr, *pk = nullptr, *days = nullptr;
  for (const auto& e : entries) {
    if (!kKnown.count(e.key)) {
      Unknown(c, e, kKnown);
    } else if (e.value.IsNull()) {
      continue;  // left empty, as in 1.1's template
    } else if (e.key == "device_ca_cert") {
      EDGESEC_ASSIGN_OR_RETURN(c.out.edge_cert, FileUri(c, e));
      cert = &e;
    } else if (e.key == "device_ca_pk") {
      EDGESEC_ASSIGN_OR_RETURN(c.out.edge_pk, FileUri(c, e));
      pk = &e;
    } else if (e.key == "trusted_ca_certs") {
      EDGESEC_ASSIGN_OR_RETURN(c.out.trust_bundle, FileUri(c, e));
    } else {
      EDGESEC_ASSIGN_OR_RETURN(auto v, Text(c, e));
      int64_t n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 36500)
        return Bad(c, e, "must be a number of days from 1 to 36500");
      c.out.quickstart_days = n;
      days = &e;
    }
  }
  if (cert && !pk) return Bad(c, *cert, "needs 'certificates.device_ca_pk', its private key");
  if (pk && !cert) return Bad(c, *pk, "needs 'certificates.device_ca_cert', its certificate");
  if (cert && days) {
    Warn(c, *days,
         "sets the lifetime of a generated CA, but the Edge CA comes from 'device_ca_cert'; not "
         "imported");
    c.out.quickstart_days.reset();
  }
  return {};
}

Status ConnectionString(Ctx& c, const Entry& e) {
  EDGESEC_ASSIGN_OR_RETURN(c.out.connection_string,
                           NonEmpty(c, e, "the device's HostName=…;DeviceId=…;SharedAccessKey=…"));
  c.out.auth = Imported::Auth::kConnectionString;
  Warn(c, e,
       "IoT Hub authentication is used only by IoT Edge's cloud or container runtime; kept as "
       "[provisioning] connection_string, which edgesec ignores (no device identity)");
  return {};
}

Status X509(Ctx& c, const Entry& method, const std::vector<Entry>& entries) {
  static const Names kKnown = {"method", "iothub_hostname", "device_id", "identity_cert",
                               "identity_pk"};
  for (const auto& e : entries) {
    if (!kKnown.count(e.key)) {
      Unknown(c, e, kKnown);
    } else if (e.key == "iothub_hostname") {
      EDGESEC_ASSIGN_OR_RETURN(c.out.iothub_hostname, NonEmpty(c, e, "the IoT Hub's host name"));
    } else if (e.key == "device_id") {
      EDGESEC_ASSIGN_OR_RETURN(c.out.device_id, NonEmpty(c, e, "the device's id in IoT Hub"));
    } else if (e.key == "identity_cert") {
      EDGESEC_ASSIGN_OR_RETURN(c.out.identity_cert, FileUri(c, e));
    } else if (e.key == "identity_pk") {
      EDGESEC_ASSIGN_OR_RETURN(c.out.identity_pk, FileUri(c, e));
    }
  }
  if (c.out.identity_cert.empty() || c.out.identity_pk.empty())
    return Bad(c, method,
               "\"x509\" needs 'identity_cert' and 'identity_pk' (the device identity certificate "
               "and its private key)");
  c.out.auth = Imported::Auth::kX509;
  return {};
}

Status Authentication(Ctx& c, const Entry& section) {
  EDGESEC_ASSIGN_OR_RETURN(auto entries, Entries(c, section.value, &section));
  const Entry* method = Find(entries, "method");
  if (!method) return Bad(c, section, "needs 'method': \"x509\" or \"device_connection_string\"");
  EDGESEC_ASSIGN_OR_RETURN(auto m, Text(c, *method));
  if (m && *m == "x509") return X509(c, *method, entries);
  if (!m || *m != "device_connection_string")
    return Bad(c, *method, "must be \"x509\" or \"device_connection_string\"");
  for (const auto& e : entries)
    if (e.key != "method" && e.key != "device_connection_string")
      Unknown(c, e, {"method", "device_connection_string"});
  const Entry* conn = Find(entries, "device_connection_string");
  if (!conn) return Bad(c, *method, "needs 'provisioning.authentication.device_connection_string'");
  return ConnectionString(c, *conn);
}

Status Provisioning(Ctx& c, const Entry& section) {
  static const Names kKnown = {"source", "device_connection_string", "authentication",
                               "dynamic_reprovisioning"};
  EDGESEC_ASSIGN_OR_RETURN(auto entries, Entries(c, section.value, &section));
  c.out.provisioning = true;
  const Entry* source = Find(entries, "source");
  std::string kind = "manual";  // 1.1's default
  if (source) {
    EDGESEC_ASSIGN_OR_RETURN(kind, NonEmpty(c, *source, "\"manual\""));
  }
  if (kind == "dps") return Bad(c, *source, kDpsRefused);
  if (kind == "external")
    return Bad(c, *source,
               "external provisioning is outside edgesec; use source: \"manual\" with an x509 "
               "'authentication' (identity_cert, identity_pk)");
  if (kind != "manual")
    return Bad(c, *source, "must be \"manual\" (edgesec refuses \"dps\" and \"external\")");
  const Entry *conn = nullptr, *auth = nullptr;
  for (const auto& e : entries) {
    if (!kKnown.count(e.key))
      Unknown(c, e, kKnown);
    else if (e.key == "device_connection_string" && !e.value.IsNull())
      conn = &e;
    else if (e.key == "authentication" && !e.value.IsNull())
      auth = &e;
    else if (e.key == "dynamic_reprovisioning")
      NotImported(c, e);
  }
  if (conn && auth)
    return Bad(c, *auth,
               "give 'provisioning.device_connection_string' or 'provisioning.authentication', "
               "not both");
  if (conn) return ConnectionString(c, *conn);
  if (auth) return Authentication(c, *auth);
  Warn(c, section,
       "manual provisioning with neither 'device_connection_string' nor 'authentication'; no "
       "device identity imported");
  return {};
}

Status Hostname(Ctx& c, const Entry& e) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, Text(c, e));
  if (!v) return {};
  bool control = std::any_of(v->begin(), v->end(),
                             [](char ch) { return static_cast<unsigned char>(ch) < 0x20; });
  if (v->empty() || v->size() > 255 || control || v->find_first_of(" /") != std::string::npos)
    return Bad(c, e, "must be a host name (no spaces or slashes, at most 255 characters)");
  c.out.hostname = *v;
  return {};
}

Status Walk(Ctx& c, const YAML::Node& root) {
  static const Names kKnown = {"provisioning", "agent",       "hostname", "parent_hostname",
                               "connect",      "listen",      "homedir",  "certificates",
                               "watchdog",     "moby_runtime"};
  if (!root.IsDefined() || root.IsNull())
    return MakeError(ErrorKind::kConfig,
                     c.path + ": holds no settings; not an IoT Edge 1.1 config.yaml");
  EDGESEC_ASSIGN_OR_RETURN(auto entries, Entries(c, root, nullptr));
  for (const auto& e : entries) {
    if (!kKnown.count(e.key))
      Unknown(c, e, kKnown);
    else if (e.key == "provisioning")
      EDGESEC_TRY(Provisioning(c, e));
    else if (e.key == "hostname")
      EDGESEC_TRY(Hostname(c, e));
    else if (e.key == "certificates")
      EDGESEC_TRY(Certificates(c, e));
    else
      NotImported(c, e);  // the container runtime's and the 1.1 daemon's own settings
  }
  return {};
}

// Where the text ends (an error found in the comment line appended after it is at its end).
YAML::Mark EndOf(std::string_view text) {
  YAML::Mark m;
  m.pos = static_cast<int>(text.size());
  size_t nl = text.rfind('\n');
  m.line = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  m.column = static_cast<int>(nl == std::string_view::npos ? text.size() : text.size() - nl - 1);
  return m;
}

// Whether the quoted scalar opening at src[pos] closes before the end of the text.
bool QuoteCloses(std::string_view src, size_t pos) {
  char quote = src[pos];
  for (size_t i = pos + 1; i < src.size(); ++i) {
    if (quote == '"' && src[i] == '\\') {
      ++i;
    } else if (src[i] == quote) {
      if (quote == '"' || i + 1 >= src.size() || src[i + 1] != '\'') return true;
      ++i;  // '' inside single quotes is one quote
    }
  }
  return false;
}

// yaml-cpp 0.7 ends a quoted string that is never closed at the end of the file, taking the rest
// of the file as its text: refuse that, as YAML does. `budget` and `depth` bound the walk (an alias
// may repeat a node, even inside itself); the settings read are far shallower.
Status CheckQuotes(const Ctx& c, std::string_view src, const YAML::Node& node, int* budget,
                   int depth = 0) {
  if (--*budget < 0 || depth > 100) return {};
  if (node.IsScalar()) {
    YAML::Mark m = node.Mark();
    if (m.is_null() || m.pos < 0 || static_cast<size_t>(m.pos) >= src.size()) return {};
    char first = src[static_cast<size_t>(m.pos)];
    if ((first == '"' || first == '\'') && !QuoteCloses(src, static_cast<size_t>(m.pos)))
      return MakeError(ErrorKind::kConfig,
                       Pos(c, m) + ": not valid YAML: this quoted string is never closed");
    return {};
  }
  if (!node.IsMap() && !node.IsSequence()) return {};
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (node.IsMap()) {
      EDGESEC_TRY(CheckQuotes(c, src, it->first, budget, depth + 1));
      EDGESEC_TRY(CheckQuotes(c, src, it->second, budget, depth + 1));
    } else {
      EDGESEC_TRY(CheckQuotes(c, src, *it, budget, depth + 1));
    }
  }
  return {};
}

}  // namespace

Expected<ImportResult> ImportIotEdge11Yaml(std::string_view yaml, const std::string& path) {
  Ctx c;
  c.path = path;
  try {
    // The comment line after the text makes yaml-cpp 0.7 see a stray last line (a key without
    // ':') as the error it is, not as a key with no value.
    std::string text = std::string(yaml) + "\n#\n";
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    if (docs.size() > 1)
      return MakeError(ErrorKind::kConfig, Pos(c, docs[1].Mark()) +
                                               ": a second YAML document; a config.yaml holds one");
    YAML::Node root = docs.empty() ? YAML::Node() : docs[0];
    int budget = 100000;
    EDGESEC_TRY(CheckQuotes(c, text, root, &budget));
    EDGESEC_TRY(Walk(c, root));
  } catch (const YAML::Exception& e) {
    YAML::Mark at = e.mark;
    if (!at.is_null() && static_cast<size_t>(at.pos) >= yaml.size()) at = EndOf(yaml);
    return MakeError(ErrorKind::kConfig, Pos(c, at) + ": not valid YAML: " + e.msg);
  }
  ImportResult result{EmitImportedToml(c.out, path), std::move(c.warnings)};
  // The output must read as config.toml; a failure here is a bug of the importer.
  if (auto read = ReadSuperConfig(result.toml, path + " (imported)"); !read)
    return Internal("the imported config.toml does not read: " + read.error().message);
  return result;
}

}  // namespace edgesec::config::super

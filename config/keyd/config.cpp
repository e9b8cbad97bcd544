#include "config/keyd/config.hpp"

#include <algorithm>

#include "common/ids.hpp"
#include "config/field_table.hpp"
#include "config/principal.hpp"
#include "keyd/api/keys_api.hpp"

namespace edgesec::keyd {
namespace {

using config::FieldTable;
using config::Reader;
using config::TomlWriter;

constexpr const char* kPrincipalGlobs = "keys";  // [[principal]] keys = [globs]

Status ReadPreferred(Reader& r, const char* key, KeydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto preferred, r.String(key));
  if (!preferred) return {};
  if (auto parsed = api::ParsePreferredAlgorithms(*preferred); !parsed)
    return r.ErrorAt(key, parsed.error().message);
  c->preferred_algorithms = *preferred;
  return {};
}

// preloaded_keys.<id> are keys of their own: a later file overrides the ids it names, keeps the
// rest.
Status ReadPreloaded(Reader& r, const char* key, KeydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto preloaded, r.Table(key));
  if (!preloaded) return {};
  for (const std::string& id : preloaded->Keys()) {
    if (!IsValidId(id)) return preloaded->ErrorAt(id, ValidateId(id, "key id").error().message);
    EDGESEC_ASSIGN_OR_RETURN(auto uri, preloaded->String(id));
    const BuiltinEngineName* engine = EngineForUri(*uri);
    if (engine == nullptr ||
        (engine->name == std::string("file") && uri->rfind("file:///", 0) != 0))
      return preloaded->ErrorAt(id, "unsupported key URI '" + *uri +
                                        "': use file:///absolute/path" +
                                        " or a URI of a built-in engine (pkcs11:)");
    c->preloaded_keys[id] = *uri;
  }
  return {};
}

void WritePreloaded(TomlWriter& w, const char* key, const KeydConfig& c) {
  if (c.preloaded_keys.empty()) return;
  w.Table(key);
  for (const auto& [id, uri] : c.preloaded_keys) w.String(id, uri);
}

// [pkcs11], [tpm]: the section of the built-in engine named `key`.
Status ReadBuiltin(Reader& r, const char* key, KeydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto section, r.Table(key));
  if (!section) return {};
  EDGESEC_ASSIGN_OR_RETURN(EngineSection parsed, ReadEngineSection(key, *section));
  EDGESEC_TRY(section->Finish());
  c->builtin_engines[key] = std::move(parsed);
  return {};
}

void WriteBuiltin(TomlWriter& w, const char* key, const KeydConfig& c) {
  auto section = c.builtin_engines.find(key);
  if (section != c.builtin_engines.end()) WriteEngineSection(w, key, section->second);
}

const FieldTable<VendorEngineConfig>& VendorEngineFields() {
  static const FieldTable<VendorEngineConfig> t = {
      {"path",
       [](Reader& r, const char* k, VendorEngineConfig* e) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto path, r.String(k));
         // An empty path would make dlopen() hand back keyd itself instead of an engine.
         if (!path || path->empty())
           return r.ErrorAt(k, "a vendor engine needs 'path' (the shared object to load)");
         e->path = *path;
         return {};
       },
       [](TomlWriter& w, const char* k, const VendorEngineConfig& e) {
         config::WriteString(w, k, e.path);
       }},
      {"options",
       [](Reader& r, const char* k, VendorEngineConfig* e) {
         return config::ReadString(r, k, &e->options);
       },
       [](TomlWriter& w, const char* k, const VendorEngineConfig& e) {
         config::WriteString(w, k, e.options);
       }},
      {"security_level",
       [](Reader& r, const char* k, VendorEngineConfig* e) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto sl, r.Integer(k));
         if (!sl) return {};
         if (*sl < 0 || *sl > 2) return r.ErrorAt(k, "must be 0, 1 or 2");
         e->security_level = static_cast<uint32_t>(*sl);
         return {};
       },
       [](TomlWriter& w, const char* k, const VendorEngineConfig& e) {
         if (e.security_level) w.Integer(k, *e.security_level);
       }},
  };
  return t;
}

// Likewise engines.<name>: a later file replaces the engines it names, keeps the rest.
Status ReadVendorEngines(Reader& r, const char* key, KeydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto engines, r.Table(key));
  if (!engines) return {};
  for (const std::string& name : engines->Keys()) {
    EDGESEC_ASSIGN_OR_RETURN(auto t, engines->Table(name));
    for (const BuiltinEngineName& builtin : BuiltinEngineNames())
      if (name == builtin.name)
        return engines->ErrorAt(name,
                                "'" + name + "' is built in; name vendor engines differently");
    VendorEngineConfig e;
    e.name = name;
    EDGESEC_TRY(config::ReadFields(*t, VendorEngineFields(), &e));
    EDGESEC_TRY(t->Finish());
    auto same = std::find_if(c->engines.begin(), c->engines.end(),
                             [&](const auto& x) { return x.name == name; });
    if (same != c->engines.end())
      *same = std::move(e);
    else
      c->engines.push_back(std::move(e));
  }
  return {};
}

void WriteVendorEngines(TomlWriter& w, const char* key, const KeydConfig& c) {
  for (const auto& e : c.engines) {
    w.Table(std::string(key) + "." + e.name);
    config::WriteFields(w, VendorEngineFields(), e);
  }
}

const FieldTable<KeyEngineRule>& KeyEngineFields() {
  static const FieldTable<KeyEngineRule> t = {
      {"keys",
       [](Reader& r, const char* k, KeyEngineRule* rule) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto keys, r.StringArray(k));
         if (!keys || keys->empty())
           return r.ErrorAt(k, "a key_engine rule needs 'keys' (globs of key ids)");
         rule->key_globs = *keys;
         return {};
       },
       [](TomlWriter& w, const char* k, const KeyEngineRule& rule) {
         config::WriteStrings(w, k, rule.key_globs);
       }},
      {"engine",
       [](Reader& r, const char* k, KeyEngineRule* rule) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto engine, r.String(k));
         if (!engine) return r.ErrorAt(k, "a key_engine rule needs 'engine'");
         rule->engine = *engine;
         return {};
       },
       [](TomlWriter& w, const char* k, const KeyEngineRule& rule) {
         config::WriteString(w, k, rule.engine);
       }},
  };
  return t;
}

Status ReadKeyEngines(Reader& r, const char* key, KeydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto rules, r.TableArray(key));
  if (!rules.empty()) c->key_engines.clear();
  for (auto& t : rules) {
    KeyEngineRule rule;
    EDGESEC_TRY(config::ReadFields(t, KeyEngineFields(), &rule));
    EDGESEC_TRY(t.Finish());
    c->key_engines.push_back(std::move(rule));
  }
  return {};
}

void WriteKeyEngines(TomlWriter& w, const char* key, const KeydConfig& c) {
  for (const auto& rule : c.key_engines) {
    w.ArrayTable(key);
    config::WriteFields(w, KeyEngineFields(), rule);
  }
}

Status ReadPrincipals(Reader& r, const char*, KeydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto principals,
                           config::ReadPrincipals(r, kPrincipalGlobs, "key", /*with_audit=*/true));
  if (!principals) return {};
  c->principals.clear();
  for (auto& e : *principals) {
    Principal p;
    p.uid = e.uid;
    p.key_globs = std::move(e.globs);
    p.audit = e.audit;
    c->principals.push_back(std::move(p));
  }
  return {};
}

void WritePrincipals(TomlWriter& w, const char*, const KeydConfig& c) {
  for (const auto& p : c.principals)
    config::WritePrincipal(w, p.uid, p.name, kPrincipalGlobs, p.key_globs, p.audit);
}

// [audit] max_size (bytes, at least 1024) and keep (1 to 100 rotated files).
Status ReadAudit(Reader& r, const char* key, KeydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto section, r.Table(key));
  if (!section) return {};
  EDGESEC_ASSIGN_OR_RETURN(auto max_size, section->Integer("max_size"));
  if (max_size && (*max_size < 1024 || *max_size > (int64_t{1} << 32)))
    return section->ErrorAt("max_size", "must be between 1024 and 4294967296 bytes");
  if (max_size) c->audit.max_size = static_cast<uint64_t>(*max_size);
  EDGESEC_ASSIGN_OR_RETURN(auto keep, section->Integer("keep"));
  if (keep && (*keep < 1 || *keep > 100))
    return section->ErrorAt("keep", "must be between 1 and 100 (rotated files kept)");
  if (keep) c->audit.keep = static_cast<unsigned>(*keep);
  return section->Finish();
}

void WriteAudit(TomlWriter& w, const char* key, const KeydConfig& c) {
  if (c.audit.max_size == 0 && c.audit.keep == 0) return;
  w.Table(key);
  if (c.audit.max_size != 0) w.Integer("max_size", static_cast<int64_t>(c.audit.max_size));
  if (c.audit.keep != 0) w.Integer("keep", c.audit.keep);
}

FieldTable<KeydConfig> MakeKeydFields() {
  FieldTable<KeydConfig> t = {
      {"default_engine",
       [](Reader& r, const char* k, KeydConfig* c) {
         return config::ReadString(r, k, &c->default_engine);
       },
       [](TomlWriter& w, const char* k, const KeydConfig& c) {
         config::WriteString(w, k, c.default_engine);
       }},
      {"preferred_algorithms", ReadPreferred,
       [](TomlWriter& w, const char* k, const KeydConfig& c) {
         config::WriteString(w, k, c.preferred_algorithms);
       }},
      {"socket_mode",
       [](Reader& r, const char* k, KeydConfig* c) {
         return config::ReadMode(r, k, &c->socket_mode);
       },
       [](TomlWriter& w, const char* k, const KeydConfig& c) {
         config::WriteMode(w, k, c.socket_mode);
       }},
      {"max_requests",
       [](Reader& r, const char* k, KeydConfig* c) {
         return config::ReadMaxRequests(r, k, &c->max_requests);
       },
       [](TomlWriter& w, const char* k, const KeydConfig& c) {
         config::WriteMaxRequests(w, k, c.max_requests);
       }},
      {"preloaded_keys", ReadPreloaded, WritePreloaded},
  };
  for (const BuiltinEngineName& builtin : BuiltinEngineNames())
    if (builtin.has_section) t.push_back({builtin.name, ReadBuiltin, WriteBuiltin});
  t.push_back({"engines", ReadVendorEngines, WriteVendorEngines});
  t.push_back({"key_engine", ReadKeyEngines, WriteKeyEngines});
  t.push_back({"audit", ReadAudit, WriteAudit});
  t.push_back({config::kPrincipalTables, ReadPrincipals, WritePrincipals});
  return t;
}

const FieldTable<KeydConfig>& KeydFields() {
  static const FieldTable<KeydConfig> t = MakeKeydFields();
  return t;
}

// Cross-checks need the merged result: engines named by rules must exist.
Status CheckEngines(const KeydConfig& c) {
  auto known = [&](const std::string& name) {
    return name == "file" || c.builtin_engines.count(name) != 0 ||
           std::any_of(c.engines.begin(), c.engines.end(), [&](auto& e) { return e.name == name; });
  };
  for (const auto& [id, uri] : c.preloaded_keys) {
    const BuiltinEngineName* engine = EngineForUri(uri);
    if (!known(engine->name))
      return MakeError(ErrorKind::kConfig, "keyd config: preloaded key '" + id + "' is a " +
                                               engine->uri_prefix + " URI, which needs the [" +
                                               engine->name + "] section");
  }
  if (!known(c.default_engine))
    return MakeError(ErrorKind::kConfig, "keyd config: default_engine '" + c.default_engine +
                                             "' is not 'file' or a configured [engines." +
                                             c.default_engine + "]");
  for (const auto& rule : c.key_engines)
    if (!known(rule.engine))
      return MakeError(ErrorKind::kConfig, "keyd config: key_engine rule names engine '" +
                                               rule.engine +
                                               "', which is not configured under [engines]");
  return {};
}

}  // namespace

Status ApplyKeydConfigFile(const config::ParsedFile& file, KeydConfig* c) {
  Reader r(*file.table, file.path);
  EDGESEC_TRY(config::ReadFields(r, KeydFields(), c));
  return r.Finish();
}

Expected<KeydConfig> LoadKeydConfig(const Layout& layout) {
  KeydConfig c;
  EDGESEC_ASSIGN_OR_RETURN(auto files, config::LoadServiceFiles(layout, "keyd"));
  for (const auto& f : files) EDGESEC_TRY(ApplyKeydConfigFile(f, &c));
  EDGESEC_TRY(CheckEngines(c));
  return c;
}

KeydConfig BlankKeydConfig() {
  KeydConfig c;
  c.default_engine.clear();
  c.preferred_algorithms.clear();
  c.socket_mode = 0;
  c.max_requests = 0;
  c.builtin_engines.clear();
  c.audit = {0, 0};
  return c;
}

std::string WriteKeydConfig(const KeydConfig& c, const std::string& header,
                            const std::string& principals_comment) {
  TomlWriter w(header);
  config::WriteFields(w, KeydFields(), c, {{config::kPrincipalTables, principals_comment}});
  return w.text();
}

}  // namespace edgesec::keyd

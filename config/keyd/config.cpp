#include "config/keyd/config.hpp"

#include <algorithm>

#include "common/ids.hpp"
#include "config/principal.hpp"
#include "keyd/api/keys_api.hpp"

namespace edgesec::keyd {

Status ApplyKeydConfigFile(const config::ParsedFile& file, KeydConfig* c) {
  config::Reader r(*file.table, file.path);
  EDGESEC_ASSIGN_OR_RETURN(auto default_engine, r.String("default_engine"));
  if (default_engine) c->default_engine = *default_engine;
  EDGESEC_ASSIGN_OR_RETURN(auto preferred, r.String("preferred_algorithms"));
  if (preferred) {
    if (auto parsed = api::ParsePreferredAlgorithms(*preferred); !parsed)
      return r.ErrorAt("preferred_algorithms", parsed.error().message);
    c->preferred_algorithms = *preferred;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto mode, r.FileMode("socket_mode"));
  if (mode) c->socket_mode = *mode;
  EDGESEC_ASSIGN_OR_RETURN(auto preloaded, r.Table("preloaded_keys"));
  if (preloaded) {
    // preloaded_keys.<id> are keys of their own: a later file overrides the ids it names, keeps the
    // rest.
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
  }
  for (const BuiltinEngineName& builtin : BuiltinEngineNames()) {
    if (!builtin.has_section) continue;
    EDGESEC_ASSIGN_OR_RETURN(auto section, r.Table(builtin.name));
    if (!section) continue;
    EDGESEC_ASSIGN_OR_RETURN(EngineSection parsed, ReadEngineSection(builtin.name, *section));
    EDGESEC_TRY(section->Finish());
    c->builtin_engines[builtin.name] = std::move(parsed);
  }
  EDGESEC_ASSIGN_OR_RETURN(auto engines, r.Table("engines"));
  if (engines) {
    // Likewise engines.<name>: a later file replaces the engines it names, keeps the rest.
    for (const std::string& name : engines->Keys()) {
      EDGESEC_ASSIGN_OR_RETURN(auto t, engines->Table(name));
      for (const BuiltinEngineName& builtin : BuiltinEngineNames())
        if (name == builtin.name)
          return engines->ErrorAt(name,
                                  "'" + name + "' is built in; name vendor engines differently");
      VendorEngineConfig e;
      e.name = name;
      EDGESEC_ASSIGN_OR_RETURN(auto path, t->String("path"));
      // An empty path would make dlopen() hand back keyd itself instead of an engine.
      if (!path || path->empty())
        return t->ErrorAt("path", "a vendor engine needs 'path' (the shared object to load)");
      e.path = *path;
      EDGESEC_ASSIGN_OR_RETURN(auto options, t->String("options"));
      if (options) e.options = *options;
      EDGESEC_ASSIGN_OR_RETURN(auto sl, t->Integer("security_level"));
      if (sl) {
        if (*sl < 0 || *sl > 2) return t->ErrorAt("security_level", "must be 0, 1 or 2");
        e.security_level = static_cast<uint32_t>(*sl);
      }
      EDGESEC_TRY(t->Finish());
      auto same = std::find_if(c->engines.begin(), c->engines.end(),
                               [&](const auto& x) { return x.name == name; });
      if (same != c->engines.end())
        *same = std::move(e);
      else
        c->engines.push_back(std::move(e));
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(auto rules, r.TableArray("key_engine"));
  if (!rules.empty()) c->key_engines.clear();
  for (auto& t : rules) {
    KeyEngineRule rule;
    EDGESEC_ASSIGN_OR_RETURN(auto keys, t.StringArray("keys"));
    EDGESEC_ASSIGN_OR_RETURN(auto engine, t.String("engine"));
    if (!keys || keys->empty())
      return t.ErrorAt("keys", "a key_engine rule needs 'keys' (globs of key ids)");
    if (!engine) return t.ErrorAt("engine", "a key_engine rule needs 'engine'");
    rule.key_globs = *keys;
    rule.engine = *engine;
    EDGESEC_TRY(t.Finish());
    c->key_engines.push_back(std::move(rule));
  }
  EDGESEC_ASSIGN_OR_RETURN(auto principals, config::ReadPrincipals(r, "keys", "key"));
  if (principals) {
    c->principals.clear();
    for (auto& e : *principals) {
      Principal p;
      p.uid = e.uid;
      p.key_globs = std::move(e.globs);
      c->principals.push_back(std::move(p));
    }
  }
  return r.Finish();
}

Expected<KeydConfig> LoadKeydConfig(const Layout& layout) {
  KeydConfig c;
  EDGESEC_ASSIGN_OR_RETURN(auto files, config::LoadServiceFiles(layout, "keyd"));
  for (const auto& f : files) EDGESEC_TRY(ApplyKeydConfigFile(f, &c));
  // Cross-checks need the merged result: engines named by rules must exist.
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
  return c;
}

}  // namespace edgesec::keyd

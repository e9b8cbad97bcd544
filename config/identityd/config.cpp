#include "config/identityd/config.hpp"

#include <algorithm>

#include "common/ids.hpp"
#include "config/field_table.hpp"
#include "config/principal.hpp"

namespace edgesec::identityd {
namespace {

using config::Field;
using config::FieldTable;
using config::Reader;
using config::ReadMode;
using config::ReadString;
using config::TomlWriter;
using config::WriteMode;
using config::WriteString;
using config::WriteStrings;

Status ReadId(Reader& r, const char* key, const char* what, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto id, r.String(key));
  if (!id) return {};
  if (!IsValidId(*id)) return r.ErrorAt(key, ValidateId(*id, what).error().message);
  *out = *id;
  return {};
}

Status ReadPemPath(Reader& r, const char* key, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto bundle, r.String(key));
  if (!bundle) return {};
  std::string path = bundle->rfind("file://", 0) == 0 ? bundle->substr(7) : *bundle;
  if (path.empty() || path[0] != '/')
    return r.ErrorAt(key, "must be an absolute path or file:///absolute/path of a PEM file");
  *out = path;
  return {};
}

Status ReadOnChange(Reader& r, const char* key, IdentitydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto hook, r.StringArray(key));
  if (!hook) return {};
  if (hook->empty() || hook->front().empty() || hook->front()[0] != '/')
    return r.ErrorAt(key,
                     "must be a command as an array whose first element is an absolute path, "
                     "e.g. [\"/usr/local/bin/reload-modules\", \"--edge-ca\"]");
  c->edge_ca_on_change = *hook;
  return {};
}

Status ReadValidityDays(Reader& r, const char* key, IdentitydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto days, r.Integer(key));
  if (!days) return {};
  if (*days < 1 || *days > 3650) return r.ErrorAt(key, "must be between 1 and 3650");
  c->module_validity_days = static_cast<int>(*days);
  return {};
}

Status ReadAlgorithm(Reader& r, const char* key, IdentitydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto alg, r.String(key));
  if (!alg) return {};
  static const char* kAlgs[] = {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
  if (std::find(std::begin(kAlgs), std::end(kAlgs), *alg) == std::end(kAlgs))
    return r.ErrorAt(key, "must be one of ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096");
  c->module_key_algorithm = *alg;
  return {};
}

// cert_id is required in [device_identity], and the key id defaults to it.
Status ReadDeviceCert(Reader& r, const char* key, IdentitydConfig* c) {
  EDGESEC_TRY(ReadId(r, key, "cert id", &c->device_cert));
  if (c->device_cert.empty())
    return r.ErrorAt(key, "[device_identity] needs 'cert_id' (the certd cert id)");
  c->device_key = c->device_cert;
  return {};
}

const FieldTable<IdentitydConfig>& EdgeCaFields() {
  static const FieldTable<IdentitydConfig> t = {
      {"cert_id",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return ReadId(r, k, "cert id", &c->edge_ca_cert);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.edge_ca_cert);
       }},
      {"on_change", ReadOnChange,
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteStrings(w, k, c.edge_ca_on_change);
       }},
  };
  return t;
}

const FieldTable<IdentitydConfig>& ModuleCertFields() {
  static const FieldTable<IdentitydConfig> t = {
      {"validity_days", ReadValidityDays,
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         if (c.module_validity_days != 0) w.Integer(k, c.module_validity_days);
       }},
      {"algorithm", ReadAlgorithm,
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.module_key_algorithm);
       }},
  };
  return t;
}

const FieldTable<IdentitydConfig>& DeviceIdentityFields() {
  static const FieldTable<IdentitydConfig> t = {
      {"cert_id", ReadDeviceCert,
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.device_cert);
       }},
      {"key_id",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return ReadId(r, k, "key id", &c->device_key);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.device_key);
       }},
      {"device_id",
       [](Reader& r, const char* k, IdentitydConfig* c) { return ReadString(r, k, &c->device_id); },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.device_id);
       }},
  };
  return t;
}

const FieldTable<Principal>& PrincipalFields() {
  static const FieldTable<Principal> t = {
      {"modules",
       [](Reader& r, const char* k, Principal* p) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto modules, r.StringArray(k));
         if (!modules) return {};
         for (const auto& m : *modules)
           if (!IsValidId(m)) return r.ErrorAt(k, ValidateId(m, "module id").error().message);
         p->modules = *modules;
         return {};
       },
       [](TomlWriter& w, const char* k, const Principal& p) { WriteStrings(w, k, p.modules); }},
      {"idtype",
       [](Reader& r, const char* k, Principal* p) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto idtype, r.String(k));
         if (!idtype) return {};
         if (*idtype != "device" && *idtype != "module")
           return r.ErrorAt(k, "must be \"device\" or \"module\"");
         p->idtype = *idtype;
         return {};
       },
       [](TomlWriter& w, const char* k, const Principal& p) { WriteString(w, k, p.idtype); }},
  };
  return t;
}

Status ReadPrincipalTables(Reader& r, const char* key, IdentitydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto tables, r.TableArray(key));
  if (tables.empty()) return {};
  c->principals.clear();
  for (auto& t : tables) {
    Principal p;
    EDGESEC_ASSIGN_OR_RETURN(p.uid, config::ReadPrincipalUser(t));
    EDGESEC_TRY(config::ReadFields(t, PrincipalFields(), &p));
    if (p.idtype == "module" && p.modules.empty())
      return t.ErrorAt("modules",
                       "a module principal needs 'modules' (the module ids it may act as), or "
                       "set idtype = \"device\"");
    EDGESEC_TRY(t.Finish());
    c->principals.push_back(std::move(p));
  }
  return {};
}

void WritePrincipalTables(TomlWriter& w, const char* key, const IdentitydConfig& c) {
  for (const auto& p : c.principals) {
    w.ArrayTable(key);
    config::WritePrincipalUser(w, p.uid, p.name);
    config::WriteFields(w, PrincipalFields(), p);
  }
}

const FieldTable<IdentitydConfig>& IdentitydFields() {
  static const FieldTable<IdentitydConfig> t = {
      {"socket_mode",
       [](Reader& r, const char* k, IdentitydConfig* c) { return ReadMode(r, k, &c->socket_mode); },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteMode(w, k, c.socket_mode);
       }},
      {"workload_socket_mode",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return ReadMode(r, k, &c->workload_socket_mode);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteMode(w, k, c.workload_socket_mode);
       }},
      {"max_requests",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return config::ReadMaxRequests(r, k, &c->max_requests);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         config::WriteMaxRequests(w, k, c.max_requests);
       }},
      {"workload_max_requests",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return config::ReadMaxRequests(r, k, &c->workload_max_requests);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         config::WriteMaxRequests(w, k, c.workload_max_requests);
       }},
      {"keyd_socket",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return ReadString(r, k, &c->keyd_socket);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.keyd_socket);
       }},
      {"certd_socket",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return ReadString(r, k, &c->certd_socket);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.certd_socket);
       }},
      {"trust_bundle_cert",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return ReadPemPath(r, k, &c->trust_bundle_cert);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.trust_bundle_cert);
       }},
      {"manifest_trust_bundle_cert",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return ReadPemPath(r, k, &c->manifest_trust_bundle_cert);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         WriteString(w, k, c.manifest_trust_bundle_cert);
       }},
      {"edge_ca",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return config::ReadSection(r, k, EdgeCaFields(), c);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         config::WriteSection(w, k, EdgeCaFields(), c);
       }},
      {"module_certs",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return config::ReadSection(r, k, ModuleCertFields(), c);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         config::WriteSection(w, k, ModuleCertFields(), c);
       }},
      {"device_identity",
       [](Reader& r, const char* k, IdentitydConfig* c) {
         return config::ReadSection(r, k, DeviceIdentityFields(), c);
       },
       [](TomlWriter& w, const char* k, const IdentitydConfig& c) {
         config::WriteSection(w, k, DeviceIdentityFields(), c);
       }},
      {config::kPrincipalTables, ReadPrincipalTables, WritePrincipalTables},
  };
  return t;
}

}  // namespace

Status ApplyIdentitydConfigFile(const config::ParsedFile& file, IdentitydConfig* c) {
  config::Reader r(*file.table, file.path);
  EDGESEC_TRY(config::ReadFields(r, IdentitydFields(), c));
  return r.Finish();
}

Expected<IdentitydConfig> LoadIdentitydConfig(const Layout& layout) {
  IdentitydConfig c;
  EDGESEC_ASSIGN_OR_RETURN(auto files, config::LoadServiceFiles(layout, "identityd"));
  for (const auto& f : files) EDGESEC_TRY(ApplyIdentitydConfigFile(f, &c));
  return c;
}

IdentitydConfig BlankIdentitydConfig() {
  IdentitydConfig c;
  c.socket_mode = 0;
  c.workload_socket_mode = 0;
  c.max_requests = 0;
  c.workload_max_requests = 0;
  c.edge_ca_cert.clear();
  c.module_validity_days = 0;
  c.module_key_algorithm.clear();
  return c;
}

std::string WriteIdentitydConfig(const IdentitydConfig& c, const std::string& header) {
  TomlWriter w(header);
  config::WriteFields(w, IdentitydFields(), c);
  return w.text();
}

}  // namespace edgesec::identityd

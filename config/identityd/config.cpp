#include "config/identityd/config.hpp"

#include <algorithm>

#include "common/ids.hpp"
#include "config/principal.hpp"

namespace edgesec::identityd {
namespace {

Status ReadMode(config::Reader& r, const char* key, mode_t* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto mode, r.FileMode(key));
  if (mode) *out = *mode;
  return {};
}

Status ReadId(config::Reader& r, const char* key, const char* what, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto id, r.String(key));
  if (!id) return {};
  if (!IsValidId(*id)) return r.ErrorAt(key, ValidateId(*id, what).error().message);
  *out = *id;
  return {};
}

Status ReadEdgeCa(config::Reader& t, IdentitydConfig* c) {
  EDGESEC_TRY(ReadId(t, "cert_id", "cert id", &c->edge_ca_cert));
  EDGESEC_ASSIGN_OR_RETURN(auto hook, t.StringArray("on_change"));
  if (hook) {
    if (hook->empty() || hook->front().empty() || hook->front()[0] != '/')
      return t.ErrorAt("on_change",
                       "must be a command as an array whose first element is an absolute path, "
                       "e.g. [\"/usr/local/bin/reload-modules\", \"--edge-ca\"]");
    c->edge_ca_on_change = *hook;
  }
  return t.Finish();
}

Status ReadModuleCerts(config::Reader& t, IdentitydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto days, t.Integer("validity_days"));
  if (days) {
    if (*days < 1 || *days > 3650) return t.ErrorAt("validity_days", "must be between 1 and 3650");
    c->module_validity_days = static_cast<int>(*days);
  }
  EDGESEC_ASSIGN_OR_RETURN(auto alg, t.String("algorithm"));
  if (alg) {
    static const char* kAlgs[] = {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
    if (std::find(std::begin(kAlgs), std::end(kAlgs), *alg) == std::end(kAlgs))
      return t.ErrorAt("algorithm",
                       "must be one of ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096");
    c->module_key_algorithm = *alg;
  }
  return t.Finish();
}

Status ReadDeviceIdentity(config::Reader& t, IdentitydConfig* c) {
  EDGESEC_TRY(ReadId(t, "cert_id", "cert id", &c->device_cert));
  if (c->device_cert.empty())
    return t.ErrorAt("cert_id", "[device_identity] needs 'cert_id' (the certd cert id)");
  c->device_key = c->device_cert;
  EDGESEC_TRY(ReadId(t, "key_id", "key id", &c->device_key));
  EDGESEC_ASSIGN_OR_RETURN(auto device_id, t.String("device_id"));
  if (device_id) c->device_id = *device_id;
  return t.Finish();
}

Status ReadPrincipalTables(config::Reader& r, IdentitydConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto tables, r.TableArray("principal"));
  if (tables.empty()) return {};
  c->principals.clear();
  for (auto& t : tables) {
    Principal p;
    EDGESEC_ASSIGN_OR_RETURN(p.uid, config::ReadPrincipalUser(t));
    EDGESEC_ASSIGN_OR_RETURN(auto modules, t.StringArray("modules"));
    if (modules) {
      for (const auto& m : *modules)
        if (!IsValidId(m)) return t.ErrorAt("modules", ValidateId(m, "module id").error().message);
      p.modules = *modules;
    }
    EDGESEC_ASSIGN_OR_RETURN(auto idtype, t.String("idtype"));
    if (idtype) {
      if (*idtype != "device" && *idtype != "module")
        return t.ErrorAt("idtype", "must be \"device\" or \"module\"");
      p.idtype = *idtype;
    }
    if (p.idtype == "module" && p.modules.empty())
      return t.ErrorAt("modules",
                       "a module principal needs 'modules' (the module ids it may act as), or "
                       "set idtype = \"device\"");
    EDGESEC_TRY(t.Finish());
    c->principals.push_back(std::move(p));
  }
  return {};
}

}  // namespace

Status ApplyIdentitydConfigFile(const config::ParsedFile& file, IdentitydConfig* c) {
  config::Reader r(*file.table, file.path);
  EDGESEC_TRY(ReadMode(r, "socket_mode", &c->socket_mode));
  EDGESEC_TRY(ReadMode(r, "workload_socket_mode", &c->workload_socket_mode));
  EDGESEC_ASSIGN_OR_RETURN(auto keyd_socket, r.String("keyd_socket"));
  if (keyd_socket) c->keyd_socket = *keyd_socket;
  EDGESEC_ASSIGN_OR_RETURN(auto certd_socket, r.String("certd_socket"));
  if (certd_socket) c->certd_socket = *certd_socket;
  EDGESEC_ASSIGN_OR_RETURN(auto bundle, r.String("trust_bundle_cert"));
  if (bundle) {
    std::string path = bundle->rfind("file://", 0) == 0 ? bundle->substr(7) : *bundle;
    if (path.empty() || path[0] != '/')
      return r.ErrorAt("trust_bundle_cert",
                       "must be an absolute path or file:///absolute/path of a PEM file");
    c->trust_bundle_cert = path;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto edge_ca, r.Table("edge_ca"));
  if (edge_ca) EDGESEC_TRY(ReadEdgeCa(*edge_ca, c));
  EDGESEC_ASSIGN_OR_RETURN(auto module_certs, r.Table("module_certs"));
  if (module_certs) EDGESEC_TRY(ReadModuleCerts(*module_certs, c));
  EDGESEC_ASSIGN_OR_RETURN(auto device, r.Table("device_identity"));
  if (device) EDGESEC_TRY(ReadDeviceIdentity(*device, c));
  EDGESEC_TRY(ReadPrincipalTables(r, c));
  return r.Finish();
}

Expected<IdentitydConfig> LoadIdentitydConfig(const Layout& layout) {
  IdentitydConfig c;
  EDGESEC_ASSIGN_OR_RETURN(auto files, config::LoadServiceFiles(layout, "identityd"));
  for (const auto& f : files) EDGESEC_TRY(ApplyIdentitydConfigFile(f, &c));
  return c;
}

}  // namespace edgesec::identityd

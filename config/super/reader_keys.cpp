// The super config reader's key sections: [aziot_keys]/[keys], [tpm], [preloaded_keys] and
// [preloaded_certs], [engines.*] and [[key_engine]]: what keyd holds and where.
#include <algorithm>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/reader_internal.hpp"
#include "config/super/super.hpp"
#include "config/super/values.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super::reader {

Status KeysSection(Ctx& ctx, Reader& t) {
  Keys& k = ctx.c->keys;
  EDGESEC_TRY(Path(ctx, t, "pkcs11_lib_path", "keyd", &k.pkcs11_lib_path));
  EDGESEC_ASSIGN_OR_RETURN(auto slot, t.String("pkcs11_base_slot"));
  if (slot) {
    if (slot->rfind("pkcs11:", 0) != 0)
      return t.ErrorAt("pkcs11_base_slot", "must be a pkcs11: URI naming the token");
    if (Status st = CheckPkcs11Uri(*slot); !st)
      return t.ErrorAt("pkcs11_base_slot", "'" + *slot + "' " + st.error().message);
    NotePinFile(ctx, t, "pkcs11_base_slot", *slot);
    ctx.pkcs11_uses.push_back(Where(t, "pkcs11_base_slot"));
    k.pkcs11_base_slot = *slot;
  }
  EDGESEC_TRY(Int(t, "pkcs11_security_level", &k.pkcs11_security_level, 0, 2));
  EDGESEC_ASSIGN_OR_RETURN(k.pkcs11_state_dirs, t.StringArray("pkcs11_state_dirs"));
  for (const auto& d : k.pkcs11_state_dirs.value_or(std::vector<std::string>{}))
    if (d.empty() || d[0] != '/' || d.find_first_of(" \t\n\"") != std::string::npos)
      return t.ErrorAt("pkcs11_state_dirs", "'" + d + "' must be an absolute path without spaces");
  EDGESEC_TRY(Str(t, "default_engine", &k.default_engine));
  k.default_engine_position = Where(t, "default_engine");
  EDGESEC_TRY(Str(t, "preferred_algorithms", &k.preferred_algorithms));
  if (!k.preferred_algorithms.empty()) {
    std::string s = k.preferred_algorithms + ":";
    for (size_t start = 0, end; (end = s.find(':', start)) != std::string::npos; start = end + 1) {
      std::string a = s.substr(start, end - start);
      if (a != "*" && a != "ed25519" && !IsKeyAlgorithm(a))
        return t.ErrorAt("preferred_algorithms",
                         "'" + a +
                             "' is not ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, "
                             "ed25519 or *");
    }
  }
  return t.Finish();
}

Status TpmSection(Ctx& ctx, Reader& t) {
  Tpm tpm;
  EDGESEC_TRY(Str(t, "tcti", &tpm.tcti));
  EDGESEC_TRY(Path(ctx, t, "owner_auth_file", "keyd", &tpm.owner_auth_file));
  EDGESEC_TRY(Int(t, "persistent_handle", &tpm.persistent_handle, 0x81000000, 0x817FFFFF));
  EDGESEC_TRY(Int(t, "security_level", &tpm.security_level, 0, 2));
  // IoT Edge's TPM service keys: the owner hierarchy's password is keyd's; the rest is DPS's.
  EDGESEC_ASSIGN_OR_RETURN(auto hierarchy, t.Table("hierarchy_authorization"));
  if (hierarchy) {
    EDGESEC_ASSIGN_OR_RETURN(tpm.owner_auth, hierarchy->String("owner"));
    if (tpm.owner_auth && !tpm.owner_auth_file.empty())
      return hierarchy->ErrorAt("owner", "give the owner password here or 'owner_auth_file'");
    EDGESEC_ASSIGN_OR_RETURN(auto endorsement, hierarchy->String("endorsement"));
    if (endorsement)
      Warn(ctx, *hierarchy, "endorsement",
           "the endorsement hierarchy is used only for DPS TPM attestation; edgesec ignores it");
    EDGESEC_TRY(hierarchy->Finish());
  }
  EDGESEC_ASSIGN_OR_RETURN(auto index, t.Integer("auth_key_index"));
  if (index)
    Warn(ctx, t, "auth_key_index",
         "the DPS TPM authentication key is used only by IoT Edge's DPS provisioning; edgesec "
         "ignores it");
  EDGESEC_TRY(t.Finish());
  // An empty [tpm] (IoT Edge's template has one) means no TPM.
  if (!tpm.tcti.empty())
    ctx.c->tpm = tpm;
  else if (!tpm.owner_auth_file.empty() || tpm.owner_auth || tpm.persistent_handle ||
           tpm.security_level)
    return t.ErrorAt("tcti", "the TPM settings need 'tcti', e.g. \"device:/dev/tpmrm0\"");
  return {};
}

Status PreloadedSections(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto keys, r.Table("preloaded_keys"));
  if (keys) {
    for (const std::string& id : keys->Keys()) {
      if (!IsValidId(id)) return keys->ErrorAt(id, "a key id is 1-128 of A-Za-z0-9._-:@$");
      std::string uri;
      EDGESEC_TRY(KeyUri(ctx, *keys, id, false, &uri));
      ctx.c->preloaded_keys[id] = uri;
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(auto certs, r.Table("preloaded_certs"));
  if (certs) {
    for (const std::string& id : certs->Keys()) {
      if (!IsValidId(id)) return certs->ErrorAt(id, "a cert id is 1-128 of A-Za-z0-9._-:@$");
      std::string uri;
      EDGESEC_TRY(CertUri(ctx, *certs, id, false, &uri));
      ctx.c->preloaded_certs[id] = uri;
    }
  }
  return {};
}

Status EngineSections(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto engines, r.Table("engines"));
  if (engines) {
    for (const std::string& name : engines->Keys()) {
      if (name == "file" || name == "pkcs11" || name == "tpm")
        return engines->ErrorAt(name,
                                "'" + name + "' is built in; name vendor engines differently");
      EDGESEC_ASSIGN_OR_RETURN(auto t, engines->Table(name));
      VendorEngine e;
      e.name = name;
      EDGESEC_TRY(Path(ctx, *t, "path", "keyd", &e.path));
      if (e.path.empty()) return t->ErrorAt("path", "a vendor engine needs 'path' (its .so)");
      EDGESEC_TRY(Str(*t, "options", &e.options));
      EDGESEC_TRY(Int(*t, "security_level", &e.security_level, 0, 2));
      EDGESEC_TRY(t->Finish());
      ctx.c->engines.push_back(std::move(e));
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(auto rules, r.TableArray("key_engine"));
  for (auto& t : rules) {
    KeyEngineRule rule;
    EDGESEC_ASSIGN_OR_RETURN(auto keys, t.StringArray("keys"));
    if (!keys || keys->empty()) return t.ErrorAt("keys", "a rule needs 'keys' (globs of key ids)");
    rule.keys = *keys;
    EDGESEC_TRY(Str(t, "engine", &rule.engine));
    rule.position = Where(t, "engine");
    if (rule.engine.empty()) return t.ErrorAt("engine", "a rule needs 'engine'");
    EDGESEC_TRY(t.Finish());
    ctx.c->key_engines.push_back(std::move(rule));
  }
  return {};
}

}  // namespace edgesec::config::super::reader

#include "config/keyd/engine_sections.hpp"

#include "config/field_table.hpp"
#include "config/keyd/pkcs11_uri.hpp"

namespace edgesec::keyd {
namespace {

using config::Field;
using config::FieldTable;
using config::Reader;
using config::TomlWriter;

template <class S>
Status ReadSecurityLevel(Reader& r, const char* key, S* s) {
  EDGESEC_ASSIGN_OR_RETURN(auto level, r.Integer(key));
  if (!level) return {};
  if (*level < 0 || *level > 2) return r.ErrorAt(key, "must be 0, 1 or 2");
  s->security_level = static_cast<uint32_t>(*level);
  return {};
}

template <class S>
void WriteSecurityLevel(TomlWriter& w, const char* key, const S& s) {
  if (s.security_level) w.Integer(key, *s.security_level);
}

Status ReadLibPath(Reader& r, const char* key, Pkcs11EngineSection* s) {
  EDGESEC_ASSIGN_OR_RETURN(auto lib_path, r.String(key));
  if (!lib_path || lib_path->empty())
    return r.ErrorAt(key,
                     "[pkcs11] needs lib_path, the PKCS#11 module to load (e.g. "
                     "/usr/lib/softhsm/libsofthsm2.so)");
  if ((*lib_path)[0] != '/') return r.ErrorAt(key, "must be an absolute path");
  s->lib_path = *lib_path;
  return {};
}

Status ReadBaseSlot(Reader& r, const char* key, Pkcs11EngineSection* s) {
  EDGESEC_ASSIGN_OR_RETURN(auto base_slot, r.String(key));
  if (!base_slot)
    return r.ErrorAt(key,
                     "[pkcs11] needs base_slot, a pkcs11: URI naming the token for keyd's keys "
                     "(e.g. \"pkcs11:token=edgesec?pin-source=file:/etc/edgesec/keyd/pin\")");
  if (auto uri = ParsePkcs11Uri(*base_slot); !uri) return r.ErrorAt(key, uri.error().message);
  s->base_slot = *base_slot;
  return {};
}

const FieldTable<Pkcs11EngineSection>& Pkcs11Fields() {
  static const FieldTable<Pkcs11EngineSection> t = {
      {"lib_path", ReadLibPath,
       [](TomlWriter& w, const char* k, const Pkcs11EngineSection& s) {
         if (!s.lib_path.empty()) w.String(k, s.lib_path);
       }},
      {"base_slot", ReadBaseSlot,
       [](TomlWriter& w, const char* k, const Pkcs11EngineSection& s) {
         if (!s.base_slot.empty()) w.String(k, s.base_slot);
       }},
      {"security_level", ReadSecurityLevel<Pkcs11EngineSection>,
       WriteSecurityLevel<Pkcs11EngineSection>},
  };
  return t;
}

Status ReadTcti(Reader& r, const char* key, TpmEngineSection* s) {
  EDGESEC_ASSIGN_OR_RETURN(auto tcti, r.String(key));
  if (!tcti || tcti->empty())
    return r.ErrorAt(key,
                     "the [tpm] section needs 'tcti', e.g. \"device:/dev/tpmrm0\", \"tabrmd\" or "
                     "\"swtpm:host=127.0.0.1,port=2321\"");
  s->tcti = *tcti;
  return {};
}

constexpr const char* kOwnerAuth = "owner_auth";

// Read before owner_auth (the order config apply writes them in); refuses both.
Status ReadOwnerAuthFile(Reader& r, const char* key, TpmEngineSection* s) {
  EDGESEC_ASSIGN_OR_RETURN(auto auth, r.String(kOwnerAuth));
  EDGESEC_ASSIGN_OR_RETURN(auto auth_file, r.String(key));
  if (auth && auth_file)
    return r.ErrorAt(key,
                     std::string("give either '") + kOwnerAuth + "' or '" + key + "', not both");
  if (auth_file && (auth_file->empty() || (*auth_file)[0] != '/'))
    return r.ErrorAt(key, "must be an absolute path");
  s->owner_auth_file = auth_file;
  return {};
}

Status ReadPersistentHandle(Reader& r, const char* key, TpmEngineSection* s) {
  EDGESEC_ASSIGN_OR_RETURN(auto handle, r.Integer(key));
  if (handle && (*handle < 0x81000000 || *handle > 0x817FFFFF))
    return r.ErrorAt(
        key, "must be an owner persistent handle, 0x81000000 to 0x817fffff (default 0x81000100)");
  s->persistent_handle = handle;
  return {};
}

const FieldTable<TpmEngineSection>& TpmFields() {
  static const FieldTable<TpmEngineSection> t = {
      {"tcti", ReadTcti,
       [](TomlWriter& w, const char* k, const TpmEngineSection& s) {
         if (!s.tcti.empty()) w.String(k, s.tcti);
       }},
      {"owner_auth_file", ReadOwnerAuthFile,
       [](TomlWriter& w, const char* k, const TpmEngineSection& s) {
         if (s.owner_auth_file) w.String(k, *s.owner_auth_file);
       }},
      {kOwnerAuth,
       [](Reader& r, const char* k, TpmEngineSection* s) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(s->owner_auth, r.String(k));
         return {};
       },
       [](TomlWriter& w, const char* k, const TpmEngineSection& s) {
         if (s.owner_auth) w.String(k, *s.owner_auth);
       }},
      {"persistent_handle", ReadPersistentHandle,
       [](TomlWriter& w, const char* k, const TpmEngineSection& s) {
         if (s.persistent_handle) w.Integer(k, *s.persistent_handle);
       }},
      {"security_level", ReadSecurityLevel<TpmEngineSection>, WriteSecurityLevel<TpmEngineSection>},
  };
  return t;
}

template <class S>
Expected<EngineSection> ReadTyped(Reader& r, const FieldTable<S>& table) {
  S s;
  EDGESEC_TRY(config::ReadFields(r, table, &s));
  return EngineSection(std::move(s));
}

}  // namespace

const std::vector<BuiltinEngineName>& BuiltinEngineNames() {
  static const std::vector<BuiltinEngineName> names = {
      {"file", "file://", false},
      {"pkcs11", "pkcs11:", true},
      {"tpm", nullptr, true},
  };
  return names;
}

const BuiltinEngineName* EngineForUri(const std::string& uri) {
  for (const auto& e : BuiltinEngineNames())
    if (e.uri_prefix != nullptr && uri.rfind(e.uri_prefix, 0) == 0) return &e;
  return nullptr;
}

Expected<EngineSection> ReadEngineSection(const std::string& name, Reader& section) {
  if (name == "pkcs11") return ReadTyped(section, Pkcs11Fields());
  if (name == "tpm") return ReadTyped(section, TpmFields());
  return EngineSection(FileEngineSection{});
}

void WriteEngineSection(TomlWriter& w, const std::string& name, const EngineSection& section) {
  if (const auto* p = std::get_if<Pkcs11EngineSection>(&section)) {
    w.Table(name);
    config::WriteFields(w, Pkcs11Fields(), *p);
  } else if (const auto* t = std::get_if<TpmEngineSection>(&section)) {
    w.Table(name);
    config::WriteFields(w, TpmFields(), *t);
  }
}

}  // namespace edgesec::keyd

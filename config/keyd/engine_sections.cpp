#include "config/keyd/engine_sections.hpp"

#include "config/keyd/pkcs11_uri.hpp"

namespace edgesec::keyd {
namespace {

Expected<std::optional<uint32_t>> ReadSecurityLevel(config::Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto level, r.Integer("security_level"));
  if (!level) return std::optional<uint32_t>();
  if (*level < 0 || *level > 2) return r.ErrorAt("security_level", "must be 0, 1 or 2");
  return std::optional<uint32_t>(static_cast<uint32_t>(*level));
}

Expected<EngineSection> ReadPkcs11(config::Reader& r) {
  Pkcs11EngineSection s;
  EDGESEC_ASSIGN_OR_RETURN(auto lib_path, r.String("lib_path"));
  if (!lib_path || lib_path->empty())
    return r.ErrorAt("lib_path",
                     "[pkcs11] needs lib_path, the PKCS#11 module to load (e.g. "
                     "/usr/lib/softhsm/libsofthsm2.so)");
  if ((*lib_path)[0] != '/') return r.ErrorAt("lib_path", "must be an absolute path");
  s.lib_path = *lib_path;
  EDGESEC_ASSIGN_OR_RETURN(auto base_slot, r.String("base_slot"));
  if (!base_slot)
    return r.ErrorAt("base_slot",
                     "[pkcs11] needs base_slot, a pkcs11: URI naming the token for keyd's keys "
                     "(e.g. \"pkcs11:token=edgesec?pin-source=file:/etc/edgesec/keyd/pin\")");
  if (auto uri = ParsePkcs11Uri(*base_slot); !uri)
    return r.ErrorAt("base_slot", uri.error().message);
  s.base_slot = *base_slot;
  EDGESEC_ASSIGN_OR_RETURN(s.security_level, ReadSecurityLevel(r));
  return EngineSection(std::move(s));
}

Expected<EngineSection> ReadTpm(config::Reader& r) {
  TpmEngineSection s;
  EDGESEC_ASSIGN_OR_RETURN(auto tcti, r.String("tcti"));
  if (!tcti || tcti->empty())
    return r.ErrorAt("tcti",
                     "the [tpm] section needs 'tcti', e.g. \"device:/dev/tpmrm0\", \"tabrmd\" or "
                     "\"swtpm:host=127.0.0.1,port=2321\"");
  s.tcti = *tcti;
  EDGESEC_ASSIGN_OR_RETURN(auto auth, r.String("owner_auth"));
  EDGESEC_ASSIGN_OR_RETURN(auto auth_file, r.String("owner_auth_file"));
  if (auth && auth_file)
    return r.ErrorAt("owner_auth_file", "give either 'owner_auth' or 'owner_auth_file', not both");
  s.owner_auth = auth;
  if (auth_file && (auth_file->empty() || (*auth_file)[0] != '/'))
    return r.ErrorAt("owner_auth_file", "must be an absolute path");
  s.owner_auth_file = auth_file;
  EDGESEC_ASSIGN_OR_RETURN(auto handle, r.Integer("persistent_handle"));
  if (handle && (*handle < 0x81000000 || *handle > 0x817FFFFF))
    return r.ErrorAt(
        "persistent_handle",
        "must be an owner persistent handle, 0x81000000 to 0x817fffff (default 0x81000100)");
  s.persistent_handle = handle;
  EDGESEC_ASSIGN_OR_RETURN(s.security_level, ReadSecurityLevel(r));
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

Expected<EngineSection> ReadEngineSection(const std::string& name, config::Reader& section) {
  if (name == "pkcs11") return ReadPkcs11(section);
  if (name == "tpm") return ReadTpm(section);
  return EngineSection(FileEngineSection{});
}

}  // namespace edgesec::keyd

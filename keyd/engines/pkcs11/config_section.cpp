#include "keyd/engines/pkcs11/pkcs11_engine.hpp"
#include "keyd/engines/pkcs11/uri.hpp"

namespace edgesec::keyd::engines::pkcs11 {

Expected<Json> ParseSection(config::Reader& r) {
  Json options = Json::object();
  EDGESEC_ASSIGN_OR_RETURN(auto lib_path, r.String("lib_path"));
  if (!lib_path || lib_path->empty())
    return r.ErrorAt("lib_path",
                     "[pkcs11] needs lib_path, the PKCS#11 module to load (e.g. "
                     "/usr/lib/softhsm/libsofthsm2.so)");
  if ((*lib_path)[0] != '/') return r.ErrorAt("lib_path", "must be an absolute path");
  options["lib_path"] = *lib_path;
  EDGESEC_ASSIGN_OR_RETURN(auto base_slot, r.String("base_slot"));
  if (!base_slot)
    return r.ErrorAt("base_slot",
                     "[pkcs11] needs base_slot, a pkcs11: URI naming the token for keyd's keys "
                     "(e.g. \"pkcs11:token=edgesec?pin-source=file:/etc/edgesec/keyd/pin\")");
  if (auto uri = ParsePkcs11Uri(*base_slot); !uri)
    return r.ErrorAt("base_slot", uri.error().message);
  options["base_slot"] = *base_slot;
  EDGESEC_ASSIGN_OR_RETURN(auto level, r.Integer("security_level"));
  if (level) {
    if (*level < 0 || *level > 2) return r.ErrorAt("security_level", "must be 0, 1 or 2");
    options["security_level"] = static_cast<uint32_t>(*level);
  }
  return options;
}

}  // namespace edgesec::keyd::engines::pkcs11

#include "keyd/server/builtin_engines.hpp"

#include "keyd/engines/file/file_engine.hpp"
#include "keyd/engines/pkcs11/pkcs11_engine.hpp"
#include "keyd/engines/tpm/tpm_engine.hpp"

namespace edgesec::keyd {
namespace {

Json Options(const FileEngineSection&) {
  return Json::object();
}

Json Options(const Pkcs11EngineSection& s) {
  Json o = Json::object();
  o["lib_path"] = s.lib_path;
  o["base_slot"] = s.base_slot;
  if (s.security_level) o["security_level"] = *s.security_level;
  return o;
}

Json Options(const TpmEngineSection& s) {
  Json o = Json::object();
  o["tcti"] = s.tcti;
  if (s.owner_auth) o["owner_auth"] = *s.owner_auth;
  if (s.owner_auth_file) o["owner_auth_file"] = *s.owner_auth_file;
  if (s.persistent_handle) o["persistent_handle"] = *s.persistent_handle;
  if (s.security_level) o["security_level"] = *s.security_level;
  return o;
}

}  // namespace

const std::vector<BuiltinEngine>& BuiltinEngines() {
  static const std::vector<BuiltinEngine> engines = {
      {"file", &engines::file::Table},
      {"pkcs11", &engines::pkcs11::Table},
      {"tpm", &engines::tpm::Table},
  };
  return engines;
}

Json EngineOptions(const EngineSection& section) {
  return std::visit([](const auto& s) { return Options(s); }, section);
}

}  // namespace edgesec::keyd

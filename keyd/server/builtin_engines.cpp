#include "keyd/server/builtin_engines.hpp"

#include "keyd/engines/file/file_engine.hpp"
#include "keyd/engines/pkcs11/pkcs11_engine.hpp"
#include "keyd/engines/tpm/tpm_engine.hpp"

namespace edgesec::keyd {

const std::vector<BuiltinEngine>& BuiltinEngines() {
  static const std::vector<BuiltinEngine> engines = {
      {"file", "file://", &engines::file::Table, nullptr},
      {"pkcs11", "pkcs11:", &engines::pkcs11::Table, &engines::pkcs11::ParseSection},
      {"tpm", nullptr, &engines::tpm::Table, &engines::tpm::ParseSection},
  };
  return engines;
}

const BuiltinEngine* EngineForUri(const std::string& uri) {
  for (const auto& e : BuiltinEngines())
    if (e.uri_prefix != nullptr && uri.rfind(e.uri_prefix, 0) == 0) return &e;
  return nullptr;
}

}  // namespace edgesec::keyd

#include "keyd/engines/pkcs11/module.hpp"

#include <dlfcn.h>
#include <stdlib.h>

#include <map>
#include <mutex>

namespace edgesec::keyd::engines::pkcs11 {

Expected<std::shared_ptr<Module>> Module::Get(const std::string& path) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::shared_ptr<Module>>
      registry;  // never unloaded: one load per process
  if (path.empty() || path[0] != '/')
    return MakeError(ErrorKind::kConfig, "PKCS#11 module path '" + path + "' must be absolute");
  char* real = ::realpath(path.c_str(), nullptr);
  if (real == nullptr)
    return MakeError(ErrorKind::kConfig, "PKCS#11 module '" + path + "' does not exist");
  std::string key = real;
  ::free(real);
  std::lock_guard lock(registry_mutex);
  if (auto it = registry.find(key); it != registry.end()) return it->second;

  auto module = std::shared_ptr<Module>(new Module);
  module->path_ = path;
  module->dl_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->dl_ == nullptr)
    return MakeError(ErrorKind::kConfig,
                     "cannot load PKCS#11 module '" + path + "': " + ::dlerror());
  using GetFunctionList = ck_rv_t (*)(ck_function_list**);
  auto get = reinterpret_cast<GetFunctionList>(::dlsym(module->dl_, "C_GetFunctionList"));
  if (get == nullptr || get(&module->functions_) != CKR_OK || module->functions_ == nullptr) {
    ::dlclose(module->dl_);
    return MakeError(ErrorKind::kConfig,
                     "'" + path + "' is not a PKCS#11 module (no usable C_GetFunctionList)");
  }
  if (Status st = module->Initialize(); !st) {
    ::dlclose(module->dl_);
    return MakeError(ErrorKind::kConfig, "PKCS#11 module '" + path + "': " + st.error().message);
  }
  registry[key] = module;
  return module;
}

Status Module::Initialize() {
  ck_c_initialize_args args{};
  args.flags = CKF_OS_LOCKING_OK;
  ck_rv_t rv = functions_->C_Initialize(&args);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) return {};  // someone else in this process did
  return Check(rv, "C_Initialize");
}

Status Module::Reopen(uint64_t seen) {
  std::unique_lock lock(mutex_);
  if (generation_ != seen) return {};
  functions_->C_Finalize(nullptr);
  ++generation_;
  return Initialize();
}

}  // namespace edgesec::keyd::engines::pkcs11

#pragma once
// A PKCS#11 module, loaded once per process whatever the number of engine instances (keyd builds a
// new engine on each reload while the old one finishes its requests): dlopen, C_GetFunctionList,
// C_Initialize with CKF_OS_LOCKING_OK. Reopen() finalizes and initializes it again — the way to see
// a token that went away and came back — and bumps generation(), which tells every Token that its
// sessions and login are gone. Calls into the module hold shared(); Reopen() takes it exclusively.

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>

#include "common/error.hpp"
#include "keyd/engines/pkcs11/p11.hpp"

namespace edgesec::keyd::engines::pkcs11 {

class Module {
 public:
  // The process's module for `path`, loading and initializing it on first use. kConfig naming the
  // path when it cannot be loaded or is no PKCS#11 module.
  static Expected<std::shared_ptr<Module>> Get(const std::string& path);

  const ck_function_list& f() const { return *functions_; }
  const std::string& path() const { return path_; }
  uint64_t generation() const { return generation_.load(); }
  std::shared_mutex& mutex() { return mutex_; }

  // Finalizes and initializes the module again unless another thread already did since `seen`.
  // The caller must not hold mutex().
  Status Reopen(uint64_t seen);

 private:
  Module() = default;
  Status Initialize();
  std::string path_;
  void* dl_ = nullptr;
  ck_function_list* functions_ = nullptr;
  mutable std::shared_mutex mutex_;
  std::atomic<uint64_t> generation_{0};  // changed only under mutex_ held exclusively
};

}  // namespace edgesec::keyd::engines::pkcs11

#pragma once
// The engine's one connection to the TPM: an ESYS context on the configured TCTI, guarded by a
// mutex, and the persistent storage primary key that every key of the engine is created under
// (made, and made persistent with TPM2_EvictControl, when the configured handle is empty). An
// operation that fails because the connection broke (TPM restarted, resource manager restarted) is
// run once more on a fresh connection.

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/error.hpp"
#include "common/secret.hpp"
#include "keyd/engines/tpm/esys.hpp"

namespace edgesec::keyd::engines::tpm {

constexpr TPM2_HANDLE kDefaultPersistentHandle =
    0x81000100;  // clear of 0x81000001, which FAPI uses

struct TpmOptions {
  std::string tcti;   // "device:/dev/tpmrm0", "tabrmd:bus_type=session", "swtpm:host=…,port=…"
  Secret owner_auth;  // needed only to create the primary
  TPM2_HANDLE persistent_handle = kDefaultPersistentHandle;
};

class Tpm {
 public:
  // Connects and makes sure the primary exists. One Tpm per TCTI string per process, shared by
  // every engine instance that names it: a config reload opens a new engine while the old one still
  // serves, and a TPM without a resource manager serves one connection at a time. kConfig errors
  // name the TCTI; a wrong owner auth says so.
  static Expected<std::shared_ptr<Tpm>> Connect(TpmOptions options);
  ~Tpm();

  using Op = std::function<Status(ESYS_CONTEXT* esys, ESYS_TR primary)>;
  // Runs `op` alone on the connection; when it fails with a connection error (kIo), reconnects and
  // runs it once more.
  Status Run(const Op& op);

  const std::string& tcti() const { return options_.tcti; }

 private:
  explicit Tpm(TpmOptions options) : options_(std::move(options)) {}
  Status ConnectLocked();
  Status EnsurePrimaryLocked();
  void DisconnectLocked();

  std::mutex mutex_;
  TpmOptions options_;
  TctiPtr tcti_;  // declared before esys_: the context is finalized first
  EsysContextPtr esys_;
  ESYS_TR primary_ = ESYS_TR_NONE;
};

// A key loaded from its blobs under the primary, flushed when this goes away (swtpm holds only
// three loaded objects, and nothing else flushes them when there is no resource manager).
class LoadedKey {
 public:
  static Expected<LoadedKey> Load(ESYS_CONTEXT* esys, ESYS_TR primary, const TPM2B_PUBLIC& pub,
                                  const TPM2B_PRIVATE& priv, const std::string& id);
  LoadedKey(LoadedKey&& o) noexcept : esys_(o.esys_), handle_(o.handle_) {
    o.handle_ = ESYS_TR_NONE;
  }
  LoadedKey& operator=(LoadedKey&&) = delete;
  ~LoadedKey();
  ESYS_TR handle() const { return handle_; }

 private:
  LoadedKey(ESYS_CONTEXT* esys, ESYS_TR handle) : esys_(esys), handle_(handle) {}
  ESYS_CONTEXT* esys_;
  ESYS_TR handle_;
};

// The response code without the handle/session/parameter number of format-one codes.
TSS2_RC BaseTpmCode(TSS2_RC rc);

}  // namespace edgesec::keyd::engines::tpm

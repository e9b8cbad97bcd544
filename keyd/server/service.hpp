#pragma once
// The key service: every keys-API operation, independent of HTTP. Each checks the caller against
// the principals first — handle or not — then resolves the key's engine and calls it. Errors:
// kInvalidParameter (bad input, forged handle, wrong mechanism), kUnauthorized, kNotFound,
// kInternal (engine or filesystem failure).

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/paths.hpp"
#include "config/keyd/config.hpp"
#include "keyd/api/keys_api.hpp"
#include "keyd/server/audit/auditor.hpp"
#include "keyd/server/engine.hpp"
#include "keyd/server/handles.hpp"
#include "keyd/server/principals.hpp"

namespace edgesec::keyd {

struct Caller {
  uid_t uid;
};

class KeyService {
 public:
  static Expected<std::unique_ptr<KeyService>> Create(const Layout& layout,
                                                      const KeydConfig& config);
  // Re-reads principals and engines; on failure the running configuration stays.
  Status Reload(const KeydConfig& config);
  // Where key operations and signature counts are recorded (docs/audit.md); set before serving.
  void SetAuditor(std::shared_ptr<audit::Auditor> a) { audit_ = std::move(a); }

  Expected<std::string> CreateKeyPairIfNotExists(const Caller& c, const std::string& id,
                                                 const std::optional<std::string>& preferred);
  Expected<std::string> GetKeyPair(const Caller& c, const std::string& id);
  Expected<std::string> ImportKeyPair(const Caller& c, const std::string& id, const Bytes& pkcs8);
  Status MoveKeyPair(const Caller& c, const std::string& from, const std::string& to);
  Status DeleteKeyPair(const Caller& c, const std::string& handle);
  Expected<std::string> GetParameter(const Caller& c, const std::string& handle,
                                     const std::string& name);
  Expected<std::vector<api::KeyPairInfo>> ListKeyPairs(const Caller& c);

  Expected<Bytes> Sign(const Caller& c, const api::SignRequest& request);
  Expected<Bytes> Encrypt(const Caller& c, const api::EncryptRequest& request);
  Expected<Bytes> Decrypt(const Caller& c, const api::EncryptRequest& request);

  Expected<std::string> CreateKey(const Caller& c, const api::CreateKeyRequest& request);
  Expected<std::string> GetKey(const Caller& c, const std::string& id);
  Status DeleteKey(const Caller& c, const std::string& handle);
  Expected<std::string> DeriveKey(const Caller& c, const api::DeriveKeyRequest& request);
  Expected<Bytes> ExportDerivedKey(const Caller& c, const std::string& handle);

  struct State;

 private:
  KeyService(Layout layout, HandleSigner signer)
      : layout_(std::move(layout)), signer_(std::move(signer)) {}
  std::shared_ptr<State> Snapshot() const;
  Expected<std::shared_ptr<State>> BuildState(const KeydConfig& config) const;
  Status Authorize(const State& s, const Caller& c, const std::string& id,
                   const char* action) const;
  // Verifies the handle, checks its kind and the caller.
  Expected<HandleClaims> Resolve(const State& s, const Caller& c, const std::string& handle) const;
  Expected<Secret> DerivedBytes(State& s, const HandleClaims& claims) const;
  Expected<Bytes> SecretOp(State& s, const HandleClaims& claims, uint32_t usage,
                           edgesec_secret_op op, const Bytes& iv, const Bytes& aad,
                           const Bytes& in) const;

  Layout layout_;
  HandleSigner signer_;
  mutable std::mutex state_mutex_;
  std::shared_ptr<State> state_;
  std::mutex mutation_mutex_;  // create-if-absent, import, move and delete are atomic within keyd
  std::shared_ptr<audit::Auditor> audit_ = audit::Auditor::Disabled();
};

}  // namespace edgesec::keyd

#pragma once
// The keyd client library: typed calls of the keys API over keyd's socket, used by the other
// services and edgectl. Errors carry keyd's own message and a kind that follows the HTTP status.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/http/client.hpp"
#include "keyd/api/keys_api.hpp"

namespace edgesec::keyd {

class KeydClient {
 public:
  explicit KeydClient(std::string socket_path) : http_(std::move(socket_path)) {}
  const std::string& socket_path() const { return http_.socket_path(); }

  Expected<std::string> CreateKeyPairIfNotExists(
      const std::string& id, const std::optional<std::string>& preferred = std::nullopt);
  Expected<std::string> GetKeyPair(const std::string& id);
  Expected<std::string> ImportKeyPair(const std::string& id, const Bytes& pkcs8_der);
  Status MoveKeyPair(const std::string& from, const std::string& to);
  Status DeleteKeyPair(const std::string& handle);
  Expected<std::string> GetParameter(const std::string& handle, const std::string& name);
  Expected<std::vector<api::KeyPairInfo>> ListKeyPairs();
  Expected<Bytes> Sign(const api::SignRequest& request);
  Expected<Bytes> Encrypt(const api::EncryptRequest& request);
  Expected<Bytes> Decrypt(const api::EncryptRequest& request);
  Expected<std::string> CreateKey(const api::CreateKeyRequest& request);
  Expected<std::string> GetKey(const std::string& id);
  Status DeleteKey(const std::string& handle);
  Expected<std::string> DeriveKey(const std::string& base_handle, const Bytes& data);
  Expected<Bytes> ExportDerivedKey(const std::string& handle);
  Expected<Json> Version();
  // POST /audit (an edgesec addition, docs/audit.md): one event for keyd's audit log.
  Status PostAudit(const Json& event);

  // The public key of a key pair, rebuilt from its parameters; `propq` picks the provider that
  // holds it (the edgesec provider asks for any provider but itself).
  Expected<EvpPkeyPtr> PublicKey(const std::string& handle, const char* propq = nullptr);

 private:
  std::string Path(const std::string& route) const;
  Expected<std::string> StringField(const Json& j, const char* name) const;
  Expected<Bytes> BytesField(const Json& j, const char* name) const;
  http::UnixClient http_;
};

}  // namespace edgesec::keyd

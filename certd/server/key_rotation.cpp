#include "certd/server/key_rotation.hpp"

#include <cctype>
#include <set>

#include "common/log.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {

std::optional<long> KeyVersion(const std::string& base, const std::string& key_id) {
  if (key_id == base) return 1;
  std::string prefix = base + "-v";
  if (key_id.rfind(prefix, 0) != 0) return std::nullopt;
  std::string digits = key_id.substr(prefix.size());
  bool numeric = !digits.empty() && digits.size() < 9;
  for (char c : digits) numeric = numeric && std::isdigit(static_cast<unsigned char>(c));
  if (!numeric) return std::nullopt;
  return std::stol(digits);
}

std::string NextKeyId(const std::string& base, const std::string& current) {
  return base + "-v" + std::to_string(KeyVersion(base, current).value_or(1) + 1);
}

std::optional<std::string> AlgorithmLike(EVP_PKEY* key) {
  int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
      return bits > 256 ? std::string("ec-p384") : std::string("ec-p256");
    case EVP_PKEY_RSA:
      return "rsa-" + std::to_string(bits);
    default:
      return std::nullopt;
  }
}

Error KeydError(const Error& e, const std::string& what, KeyOrigin origin) {
  bool callers = origin == KeyOrigin::kCaller &&
                 (e.kind == ErrorKind::kInvalidParameter || e.kind == ErrorKind::kNotFound);
  ErrorKind kind = e.kind == ErrorKind::kUnavailable ? ErrorKind::kUnavailable
                   : callers                         ? ErrorKind::kInvalidParameter
                                                     : ErrorKind::kInternal;
  return MakeError(kind, what + ": keyd says: " + e.message, e.detail);
}

Expected<EvpPkeyPtr> RemoteKey(const std::shared_ptr<keyd::KeydClient>& keyd,
                               const std::string& key_id, bool create,
                               const std::optional<std::string>& algorithm) {
  auto handle =
      create ? keyd->CreateKeyPairIfNotExists(key_id, algorithm) : keyd->GetKeyPair(key_id);
  if (!handle) return KeydError(handle.error(), "key '" + key_id + "'");
  auto key = keyd::LoadRemoteKey(keyd, *handle);
  if (!key) return KeydError(key.error(), "key '" + key_id + "'");
  return key;
}

void DeleteReplacedKey(const std::shared_ptr<keyd::KeydClient>& keyd, const std::string& key_id) {
  auto handle = keyd->GetKeyPair(key_id);
  Status st = handle ? keyd->DeleteKeyPair(*handle) : Status(handle.error());
  if (!st && st.error().kind != ErrorKind::kNotFound)
    log::Warning("certd: could not delete the replaced key '" + key_id +
                 "': " + st.error().message);
}

}  // namespace edgesec::certd

namespace edgesec::certd {

void CollectOrphanedKeys(const std::shared_ptr<keyd::KeydClient>& keyd,
                         const store::CertStore& store, const CertdConfig& config,
                         const Credential& cred, const std::string& committed) {
  std::optional<long> committed_version = KeyVersion(cred.key_id, committed);
  if (!committed_version) return;  // the record names a key outside the versioned scheme
  auto keys = keyd->ListKeyPairs();
  auto ids = store.Ids();
  if (!keys || !ids) {
    log::Warning("certd: cannot look for orphaned keys of '" + cred.key_id +
                 "': " + (keys ? ids.error() : keys.error()).message);
    return;
  }
  std::set<std::string> named;  // keys a record or another credential names: never collected
  for (const std::string& id : *ids) {
    auto stored = store.Get(id);
    if (!stored) return;  // a record that cannot be read might name a candidate: collect nothing
    if (*stored && !(*stored)->key_id.empty()) named.insert((*stored)->key_id);
  }
  for (const auto& [id, other] : config.credentials)
    if (id != cred.cert_id) named.insert(other.key_id);
  for (const auto& key : *keys) {
    std::optional<long> version = KeyVersion(cred.key_id, key.key_id);
    if (!version || *version >= *committed_version || named.count(key.key_id)) continue;
    log::Notice("certd: deleting key '" + key.key_id +
                "', orphaned by an interrupted renewal of '" + cred.cert_id +
                "' (its cert now uses '" + committed + "')");
    DeleteReplacedKey(keyd, key.key_id);
  }
}

}  // namespace edgesec::certd

#include "certd/server/key_rotation.hpp"

#include <cctype>

#include "common/log.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {

std::string NextKeyId(const std::string& base, const std::string& current) {
  std::string prefix = base + "-v";
  long n = 1;
  if (current.rfind(prefix, 0) == 0) {
    std::string digits = current.substr(prefix.size());
    bool numeric = !digits.empty() && digits.size() < 9;
    for (char c : digits) numeric = numeric && std::isdigit(static_cast<unsigned char>(c));
    if (numeric) n = std::stol(digits);
  }
  return prefix + std::to_string(n + 1);
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

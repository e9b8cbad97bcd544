#pragma once
// Key handles: opaque strings naming a key (and for derived keys, the derivation data), with a
// random nonce, HMAC-SHA256-signed with a per-install secret (0600, created on first start). A
// forged or altered handle fails Verify with kInvalidParameter ("invalid key handle").

#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"

namespace edgesec::keyd {

enum class HandleKind { kKeyPair, kSecret, kDerived };

struct HandleClaims {
  HandleKind kind = HandleKind::kKeyPair;
  std::string key_id;     // for kDerived: the base secret key
  Bytes derivation_data;  // kDerived only
};

class HandleSigner {
 public:
  explicit HandleSigner(Secret key) : key_(std::move(key)) {}
  // Reads the secret at `path`, creating it (32 random bytes, mode 0600, atomically) when absent.
  static Expected<HandleSigner> LoadOrCreate(const std::string& path);

  std::string Issue(const HandleClaims& claims) const;
  Expected<HandleClaims> Verify(const std::string& handle) const;

 private:
  Bytes Mac(const std::string& payload) const;
  Secret key_;
};

}  // namespace edgesec::keyd

#pragma once
// Key handles: opaque strings naming a key (and for derived keys, the derivation data), with a
// random nonce, HMAC-SHA256-signed with a per-install secret (0600, created on first start). A
// forged or altered handle fails Verify with kInvalidParameter ("invalid key handle").
//
// Per request, a handle costs a copy of an HMAC context keyed once (not a fresh key schedule and
// an HMAC fetch), and a handle seen before costs a map lookup by its payload and a constant-time
// comparison of its MAC with the one computed when it was first verified (not the HMAC and the
// JSON parse again). The secret never changes while keyd runs, so a verified handle stays valid.

#include <array>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

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
  explicit HandleSigner(Secret key);
  // Reads the secret at `path`, creating it (32 random bytes, mode 0600, atomically) when absent.
  static Expected<HandleSigner> LoadOrCreate(const std::string& path);

  std::string Issue(const HandleClaims& claims) const;
  Expected<HandleClaims> Verify(const std::string& handle) const;

 private:
  struct Verified {
    std::array<unsigned char, 32> mac;
    HandleClaims claims;
  };
  // Handles verified before, by their payload text; bounded (cleared when full).
  struct VerifiedCache {
    std::shared_mutex mutex;
    std::unordered_map<std::string, Verified> by_payload;
  };
  Bytes Mac(std::string_view payload) const;
  Expected<HandleClaims> VerifyAfresh(std::string_view payload_text,
                                      const unsigned char* mac) const;
  Secret key_;
  UniquePtr<EVP_MAC_CTX> keyed_;  // HMAC-SHA256 keyed with key_; copied per use, never used itself
  std::unique_ptr<VerifiedCache> verified_ = std::make_unique<VerifiedCache>();
};

}  // namespace edgesec::keyd

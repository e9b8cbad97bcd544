// Fuzz target: key handle verification (keyd/server/handles.hpp) with a fixed secret. Three ways in:
// the input as a handle (must be refused unless it is a real one, never crash); the input as the
// signed payload of a handle that carries a valid MAC (reaches the claim parser behind the MAC check);
// and the input as a key id, issued and verified again (the claims come back unchanged).
#include <openssl/hmac.h>

#include <cstdint>
#include <string>

#include "common/base64.hpp"
#include "common/json.hpp"
#include "common/secret.hpp"
#include "keyd/server/handles.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::keyd;

namespace {

const unsigned char kSecret[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

const HandleSigner& Signer() {
  static const HandleSigner signer(Secret(kSecret, sizeof kSecret));
  return signer;
}

std::string SignedHandle(const std::string& payload) {
  unsigned char mac[32];
  unsigned int len = sizeof mac;
  HMAC(EVP_sha256(), kSecret, sizeof kSecret, reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), mac, &len);
  return Base64UrlEncode(reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) + "." +
         Base64UrlEncode(mac, len);
}

bool IsUtf8(const std::string& text) {
  try {
    (void)Json(text).dump();
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

void CheckRefusal(const Expected<HandleClaims>& claims) {
  if (!claims) {
    FUZZ_CHECK(claims.error().kind == ErrorKind::kInvalidParameter);
    FUZZ_CHECK(claims.error().message == "invalid key handle");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);

  // 1. As a handle: only a correctly MAC'd handle may verify.
  auto direct = Signer().Verify(input);
  CheckRefusal(direct);

  // 2. As the payload of a handle with a valid MAC.
  auto behind_mac = Signer().Verify(SignedHandle(input));
  CheckRefusal(behind_mac);
  if (behind_mac && behind_mac->kind != HandleKind::kDerived) FUZZ_CHECK(behind_mac->derivation_data.empty());

  // 3. As a key id (and derivation data): issue, verify, compare; a one-byte change is refused.
  for (HandleKind kind : {HandleKind::kKeyPair, HandleKind::kSecret, HandleKind::kDerived}) {
    HandleClaims claims;
    claims.kind = kind;
    claims.key_id = input;
    if (kind == HandleKind::kDerived) claims.derivation_data.assign(data, data + size);
    std::string handle = Signer().Issue(claims);
    auto back = Signer().Verify(handle);
    if (handle.size() > 4096) {  // Verify refuses oversized handles outright
      FUZZ_CHECK(!back);
      continue;
    }
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(back->kind == kind);
    FUZZ_CHECK(back->derivation_data == claims.derivation_data);
    // keyd issues handles only for valid ids (ASCII); other text may come back with U+FFFD in it.
    FUZZ_CHECK(back->key_id == input || !IsUtf8(input));
    std::string altered = handle;
    altered[size % altered.size()] ^= 0x01;
    FUZZ_CHECK(!Signer().Verify(altered));
  }
  return 0;
}

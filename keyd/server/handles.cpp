#include "keyd/server/handles.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "common/base64.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/log.hpp"

namespace edgesec::keyd {
namespace {

const char* KindText(HandleKind k) {
  switch (k) {
    case HandleKind::kKeyPair:
      return "pair";
    case HandleKind::kSecret:
      return "key";
    case HandleKind::kDerived:
      return "derived";
  }
  return "?";
}

Error Invalid() {
  return InvalidParameter("invalid key handle");
}

// Bounds of the verified-handle cache: a handle is short (a key id and a nonce; a derived key's
// data makes it longer), so this is a few hundred KiB at most.
constexpr size_t kMaxCachedHandles = 256;
constexpr size_t kMaxCachedPayload = 1024;

UniquePtr<EVP_MAC_CTX> KeyedHmac(const Secret& key) {
  UniquePtr<EVP_MAC> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return nullptr;
  UniquePtr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac.get()));
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

}  // namespace

HandleSigner::HandleSigner(Secret key) : key_(std::move(key)), keyed_(KeyedHmac(key_)) {}

Expected<HandleSigner> HandleSigner::LoadOrCreate(const std::string& path) {
  auto existing = fs::ReadOwnedFile(path, 077, 4096);
  if (existing && existing->size() == 32) {
    Secret key(reinterpret_cast<const unsigned char*>(existing->data()), existing->size());
    OPENSSL_cleanse(existing->data(), existing->size());
    return HandleSigner(std::move(key));
  }
  if (existing || existing.error().kind != ErrorKind::kNotFound) {
    // Damaged, or open to others: handles authorize nothing by themselves, so a new secret costs
    // only the handles issued before (400; clients fetch them again) — keyd still starts.
    std::string why = existing ? "it holds " + std::to_string(existing->size()) + " bytes, not 32"
                               : existing.error().Describe();
    if (existing) OPENSSL_cleanse(existing->data(), existing->size());
    log::Error("keyd: the handle secret '" + path + "' is damaged (" + why + "); " +
               fs::SetAside(path, ::time(nullptr)) +
               "; a new one is generated, so every handle issued before is now invalid (400): "
               "clients must fetch their handles again (GET /keypair/{id}, GET /key/{id})");
  }
  Secret key(32);
  if (RAND_bytes(key.data(), 32) != 1) return OpenSslError("no randomness for the handle secret");
  EDGESEC_TRY(fs::AtomicWriteFile(path, key.view(), 0600));
  return HandleSigner(std::move(key));
}

Bytes HandleSigner::Mac(std::string_view payload) const {
  Bytes mac(32);
  const auto* in = reinterpret_cast<const unsigned char*>(payload.data());
  if (keyed_) {
    UniquePtr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_dup(keyed_.get()));
    size_t len = 0;
    if (ctx && EVP_MAC_update(ctx.get(), in, payload.size()) == 1 &&
        EVP_MAC_final(ctx.get(), mac.data(), &len, mac.size()) == 1 && len == mac.size())
      return mac;
    ERR_clear_error();
  }
  unsigned int len = 32;  // no keyed context (out of memory): the one-shot way
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), in, payload.size(),
           mac.data(), &len) == nullptr)
    RAND_bytes(mac.data(), static_cast<int>(mac.size()));  // matches nothing
  return mac;
}

std::string HandleSigner::Issue(const HandleClaims& claims) const {
  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof nonce);
  Json j{{"v", 1},
         {"k", KindText(claims.kind)},
         {"id", claims.key_id},
         {"n", Base64UrlEncode(nonce, sizeof nonce)}};
  if (claims.kind == HandleKind::kDerived) j["d"] = Base64Encode(claims.derivation_data);
  std::string payload = DumpJson(j);
  Bytes mac = Mac(payload);
  return Base64UrlEncode(reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) +
         "." + Base64UrlEncode(mac.data(), mac.size());
}

Expected<HandleClaims> HandleSigner::Verify(const std::string& handle) const {
  if (handle.size() > 4096) return Invalid();
  size_t dot = handle.find('.');
  if (dot == std::string::npos) return Invalid();
  std::string_view payload_text = std::string_view(handle).substr(0, dot);
  auto mac = Base64UrlDecode(std::string_view(handle).substr(dot + 1));
  if (!mac || mac->size() != 32) return Invalid();
  {
    std::shared_lock lock(verified_->mutex);
    auto it = verified_->by_payload.find(std::string(payload_text));
    if (it != verified_->by_payload.end()) {
      // The MAC of a payload is one value: any other is a forgery, compared in constant time.
      if (CRYPTO_memcmp(it->second.mac.data(), mac->data(), 32) != 0) return Invalid();
      return it->second.claims;
    }
  }
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, VerifyAfresh(payload_text, mac->data()));
  if (payload_text.size() <= kMaxCachedPayload) {
    Verified v{{}, claims};
    std::copy(mac->begin(), mac->end(), v.mac.begin());
    std::unique_lock lock(verified_->mutex);
    if (verified_->by_payload.size() >= kMaxCachedHandles) verified_->by_payload.clear();
    verified_->by_payload.emplace(std::string(payload_text), std::move(v));
  }
  return claims;
}

Expected<HandleClaims> HandleSigner::VerifyAfresh(std::string_view payload_text,
                                                  const unsigned char* mac) const {
  auto payload = Base64UrlDecode(payload_text);
  if (!payload) return Invalid();
  std::string text(payload->begin(), payload->end());
  Bytes expected = Mac(text);
  if (CRYPTO_memcmp(expected.data(), mac, 32) != 0) return Invalid();
  // Signed by us, so well-formed; checked anyway, since a parser that trusts its input is a bug
  // later.
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid();
  JsonFields f(j);
  auto kind = f.RequiredString("k");
  auto id = f.RequiredString("id");
  if (!kind || !id) return Invalid();
  HandleClaims claims;
  claims.key_id = *id;
  if (*kind == "pair")
    claims.kind = HandleKind::kKeyPair;
  else if (*kind == "key")
    claims.kind = HandleKind::kSecret;
  else if (*kind == "derived") {
    claims.kind = HandleKind::kDerived;
    auto data = f.RequiredBytes("d");
    if (!data) return Invalid();
    claims.derivation_data = std::move(*data);
  } else
    return Invalid();
  return claims;
}

}  // namespace edgesec::keyd

#include "keyd/server/handles.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <ctime>

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

}  // namespace

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

Bytes HandleSigner::Mac(const std::string& payload) const {
  Bytes mac(32);
  unsigned int len = 32;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac.data(), &len);
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
  auto payload = Base64UrlDecode(std::string_view(handle).substr(0, dot));
  auto mac = Base64UrlDecode(std::string_view(handle).substr(dot + 1));
  if (!payload || !mac || mac->size() != 32) return Invalid();
  std::string text(payload->begin(), payload->end());
  Bytes expected = Mac(text);
  if (CRYPTO_memcmp(expected.data(), mac->data(), 32) != 0) return Invalid();
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

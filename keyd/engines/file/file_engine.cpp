// The file engine's C ABI table: each entry converts between the ABI and Store / OpenSSL calls.
#include "keyd/engines/file/file_engine.hpp"

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

#include "common/x509/keygen.hpp"
#include "keyd/engines/file/sign.hpp"
#include "keyd/engines/file/store.hpp"

namespace edgesec::keyd::engines::file {
namespace {

Store& StoreOf(void* ctx) {
  return *static_cast<Store*>(ctx);
}

edgesec_status Fail(edgesec_error* err, const Error& e) {
  if (err != nullptr) std::snprintf(err->message, sizeof err->message, "%s", e.message.c_str());
  switch (e.kind) {
    case ErrorKind::kNotFound:
      return EDGESEC_E_NOT_FOUND;
    case ErrorKind::kInvalidParameter:
      return EDGESEC_E_INVALID;
    default:
      return EDGESEC_E_FAILED;
  }
}

edgesec_status Fail(edgesec_error* err, edgesec_status status, const std::string& message) {
  if (err != nullptr) std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
  return status;
}

edgesec_status CopyOut(const Bytes& data, uint8_t* out, size_t* out_len, edgesec_error* err) {
  if (out == nullptr || *out_len < data.size()) {
    *out_len = data.size();
    return Fail(err, EDGESEC_E_BUFFER_TOO_SMALL, "output buffer too small");
  }
  std::memcpy(out, data.data(), data.size());
  *out_len = data.size();
  return EDGESEC_OK;
}

edgesec_status Open(const char* options_json, void** ctx, edgesec_error* err) {
  auto store = Store::Open(options_json ? options_json : "{}");
  if (!store) return Fail(err, store.error());
  *ctx = store->release();
  return EDGESEC_OK;
}

void Close(void* ctx) {
  delete static_cast<Store*>(ctx);
}

edgesec_status GenerateKeyPair(void* ctx, const char* id, const char* algorithm,
                               edgesec_error* err) {
  if (StoreOf(ctx).IsPreloaded(id))
    return Fail(err, EDGESEC_E_READ_ONLY, "key pair is preloaded from config");
  auto key = x509::GenerateKey(algorithm);
  if (!key)
    return Fail(
        err,
        key.error().kind == ErrorKind::kInvalidParameter ? EDGESEC_E_UNSUPPORTED : EDGESEC_E_FAILED,
        key.error().message);
  Status st = StoreOf(ctx).WriteKeyPair(id, key->get());
  return st ? EDGESEC_OK : Fail(err, st.error());
}

edgesec_status ImportKeyPair(void* ctx, const char* id, const uint8_t* der, size_t len,
                             edgesec_error* err) {
  if (StoreOf(ctx).IsPreloaded(id))
    return Fail(err, EDGESEC_E_READ_ONLY, "key pair is preloaded from config");
  auto key = PrivateKeyFromPkcs8Der(Bytes(der, der + len));
  if (!key) return Fail(err, EDGESEC_E_INVALID, "the key is not a valid PKCS#8 private key");
  auto algorithm = AlgorithmOf(key->get());
  if (!algorithm) return Fail(err, EDGESEC_E_INVALID, algorithm.error().message);
  Status st = StoreOf(ctx).WriteKeyPair(id, key->get());
  return st ? EDGESEC_OK : Fail(err, st.error());
}

edgesec_status GetKeyPair(void* ctx, const char* id, char* algorithm, uint8_t* spki,
                          size_t* spki_len, edgesec_error* err) {
  auto key = StoreOf(ctx).KeyPair(id);
  if (!key) return Fail(err, key.error());
  std::snprintf(algorithm, EDGESEC_ALGORITHM_MAX, "%s", (*key)->algorithm.c_str());
  auto der = PublicKeyToSpkiDer((*key)->key.get());
  if (!der) return Fail(err, der.error());
  return CopyOut(*der, spki, spki_len, err);
}

edgesec_status SignOp(void* ctx, const char* id, edgesec_mechanism mechanism, const uint8_t* in,
                      size_t in_len, uint8_t* out, size_t* out_len, edgesec_error* err) {
  auto key = StoreOf(ctx).KeyPair(id);
  if (!key) return Fail(err, key.error());
  edgesec_status status = EDGESEC_OK;
  std::string message;
  auto sig = SignWithKey((*key)->key.get(), (*key)->prepared.get(), mechanism, in, in_len, &status,
                         &message);
  if (status != EDGESEC_OK) return Fail(err, status, message);
  return CopyOut(sig, out, out_len, err);
}

edgesec_status CreateSecret(void* ctx, const char* id, uint32_t usage, const uint8_t* bytes,
                            size_t len, edgesec_error* err) {
  StoredSecret s;
  s.usage = usage;
  if (bytes == nullptr) {
    s.bytes = Secret(32);
    if (RAND_bytes(s.bytes.data(), 32) != 1)
      return Fail(err, EDGESEC_E_FAILED, "no randomness available");
  } else {
    if (len == 0 || len > 1024)
      return Fail(err, EDGESEC_E_INVALID, "key bytes must be 1 to 1024 bytes long");
    s.bytes = Secret(bytes, len);
  }
  Status st = StoreOf(ctx).WriteSecret(id, s);
  return st ? EDGESEC_OK : Fail(err, st.error());
}

edgesec_status GetSecret(void* ctx, const char* id, uint32_t* usage, edgesec_error* err) {
  auto s = StoreOf(ctx).ReadSecret(id);
  if (!s) return Fail(err, s.error());
  *usage = s->usage;
  return EDGESEC_OK;
}

edgesec_status SecretOpFn(void* ctx, const char* id, edgesec_secret_op op, const uint8_t* iv,
                          size_t iv_len, const uint8_t* aad, size_t aad_len, const uint8_t* in,
                          size_t in_len, uint8_t* out, size_t* out_len, edgesec_error* err) {
  auto s = StoreOf(ctx).ReadSecret(id);
  if (!s) return Fail(err, s.error());
  edgesec_status status = EDGESEC_OK;
  std::string message;
  Bytes result =
      SecretOperation(s->bytes, op, iv, iv_len, aad, aad_len, in, in_len, &status, &message);
  if (status != EDGESEC_OK) return Fail(err, status, message);
  edgesec_status copied = CopyOut(result, out, out_len, err);
  OPENSSL_cleanse(result.data(), result.size());
  return copied;
}

edgesec_status DeleteKey(void* ctx, edgesec_key_kind kind, const char* id, edgesec_error* err) {
  if (kind == EDGESEC_KEY_PAIR && StoreOf(ctx).IsPreloaded(id))
    return Fail(err, EDGESEC_E_READ_ONLY,
                "key pair is preloaded from config; keyd never deletes it");
  Status st = StoreOf(ctx).Delete(kind, id);
  return st ? EDGESEC_OK : Fail(err, st.error());
}

edgesec_status MoveKey(void* ctx, edgesec_key_kind kind, const char* from, const char* to,
                       edgesec_error* err) {
  if (StoreOf(ctx).IsPreloaded(from) || StoreOf(ctx).IsPreloaded(to))
    return Fail(err, EDGESEC_E_READ_ONLY, "preloaded key pairs cannot be moved or replaced");
  Status st = StoreOf(ctx).Move(kind, from, to);
  return st ? EDGESEC_OK : Fail(err, st.error());
}

edgesec_status ListKeys(void* ctx, edgesec_list_callback callback, void* user, edgesec_error* err) {
  auto keys = StoreOf(ctx).List();
  if (!keys) return Fail(err, keys.error());
  for (const auto& [id, kind] : *keys) {
    std::string algorithm;
    if (kind == EDGESEC_KEY_PAIR) {
      auto key = StoreOf(ctx).KeyPair(id);
      if (!key) continue;  // unreadable preloaded file: reported when it is used
      algorithm = (*key)->algorithm;
    }
    if (callback(user, id.c_str(), kind, algorithm.c_str()) != 0) break;
  }
  return EDGESEC_OK;
}

const edgesec_key_engine kTable = {
    EDGESEC_KEY_ENGINE_ABI_VERSION,
    0,
    "file",
    &Open,
    &Close,
    &GenerateKeyPair,
    &ImportKeyPair,
    &GetKeyPair,
    &SignOp,
    &CreateSecret,
    &GetSecret,
    &SecretOpFn,
    &DeleteKey,
    &MoveKey,
    &ListKeys,
};

}  // namespace

const edgesec_key_engine* Table() {
  return &kTable;
}

}  // namespace edgesec::keyd::engines::file

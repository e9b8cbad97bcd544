// A third-party key engine for tests, written only against the public header edgesec/key_engine.h:
// EC P-256 key pairs generated with OpenSSL and kept in memory (lost when the engine closes).
// Built twice: as is, and with -DTEST_ENGINE_ABI_VERSION=99 to stand for an engine built for
// another keyd.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "edgesec/key_engine.h"

#ifndef TEST_ENGINE_ABI_VERSION
#define TEST_ENGINE_ABI_VERSION EDGESEC_KEY_ENGINE_ABI_VERSION
#endif

namespace {

struct Context {
  std::mutex mutex;
  std::map<std::string, EVP_PKEY*> keys;
  ~Context() {
    for (auto& [id, key] : keys) EVP_PKEY_free(key);
  }
};

edgesec_status Fail(edgesec_error* err, edgesec_status status, const char* message) {
  if (err != nullptr) std::snprintf(err->message, sizeof err->message, "test engine: %s", message);
  return status;
}

edgesec_status Open(const char* options_json, void** ctx, edgesec_error* err) {
  if (options_json == nullptr || options_json[0] != '{')
    return Fail(err, EDGESEC_E_INVALID, "options are not JSON");
  *ctx = new Context;
  return EDGESEC_OK;
}

void Close(void* ctx) {
  delete static_cast<Context*>(ctx);
}

edgesec_status Put(void* ctx, const char* id, EVP_PKEY* key) {
  auto* c = static_cast<Context*>(ctx);
  std::lock_guard lock(c->mutex);
  EVP_PKEY*& slot = c->keys[id];
  EVP_PKEY_free(slot);
  slot = key;
  return EDGESEC_OK;
}

// Returns a new reference, or nullptr.
EVP_PKEY* Get(void* ctx, const char* id) {
  auto* c = static_cast<Context*>(ctx);
  std::lock_guard lock(c->mutex);
  auto it = c->keys.find(id);
  if (it == c->keys.end()) return nullptr;
  EVP_PKEY_up_ref(it->second);
  return it->second;
}

edgesec_status GenerateKeyPair(void* ctx, const char* id, const char* algorithm,
                               edgesec_error* err) {
  if (std::strcmp(algorithm, "ec-p256") != 0)
    return Fail(err, EDGESEC_E_UNSUPPORTED, "only ec-p256");
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key == nullptr) return Fail(err, EDGESEC_E_FAILED, "key generation failed");
  return Put(ctx, id, key);
}

edgesec_status ImportKeyPair(void* ctx, const char* id, const uint8_t* der, size_t len,
                             edgesec_error* err) {
  const unsigned char* p = der;
  EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(len));
  if (key == nullptr) return Fail(err, EDGESEC_E_INVALID, "not a private key");
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    EVP_PKEY_free(key);
    return Fail(err, EDGESEC_E_UNSUPPORTED, "only EC keys");
  }
  return Put(ctx, id, key);
}

edgesec_status GetKeyPair(void* ctx, const char* id, char* algorithm, uint8_t* spki,
                          size_t* spki_len, edgesec_error* err) {
  EVP_PKEY* key = Get(ctx, id);
  if (key == nullptr) return Fail(err, EDGESEC_E_NOT_FOUND, "no such key");
  int len = i2d_PUBKEY(key, nullptr);
  edgesec_status status = EDGESEC_OK;
  if (len <= 0) {
    status = Fail(err, EDGESEC_E_FAILED, "cannot encode the public key");
  } else if (spki == nullptr || *spki_len < static_cast<size_t>(len)) {
    *spki_len = static_cast<size_t>(len);
    status = Fail(err, EDGESEC_E_BUFFER_TOO_SMALL, "buffer too small");
  } else {
    unsigned char* out = spki;
    *spki_len = static_cast<size_t>(i2d_PUBKEY(key, &out));
    std::snprintf(algorithm, EDGESEC_ALGORITHM_MAX, "ec-p256");
  }
  EVP_PKEY_free(key);
  return status;
}

edgesec_status Sign(void* ctx, const char* id, edgesec_mechanism mechanism, const uint8_t* in,
                    size_t in_len, uint8_t* out, size_t* out_len, edgesec_error* err) {
  if (mechanism != EDGESEC_MECH_ECDSA) return Fail(err, EDGESEC_E_UNSUPPORTED, "only ECDSA");
  if (in_len == 0 || in_len > 64)
    return Fail(err, EDGESEC_E_INVALID, "digest must be 1 to 64 bytes");
  EVP_PKEY* key = Get(ctx, id);
  if (key == nullptr) return Fail(err, EDGESEC_E_NOT_FOUND, "no such key");
  edgesec_status status = EDGESEC_OK;
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  size_t needed = 0;
  if (pctx == nullptr || EVP_PKEY_sign_init(pctx) != 1 ||
      EVP_PKEY_sign(pctx, nullptr, &needed, in, in_len) != 1) {
    status = Fail(err, EDGESEC_E_FAILED, "signing failed");
  } else if (out == nullptr || *out_len < needed) {
    *out_len = needed;
    status = Fail(err, EDGESEC_E_BUFFER_TOO_SMALL, "buffer too small");
  } else if (EVP_PKEY_sign(pctx, out, out_len, in, in_len) != 1) {
    status = Fail(err, EDGESEC_E_FAILED, "signing failed");
  }
  EVP_PKEY_CTX_free(pctx);
  EVP_PKEY_free(key);
  return status;
}

edgesec_status CreateSecret(void*, const char*, uint32_t, const uint8_t*, size_t,
                            edgesec_error* err) {
  return Fail(err, EDGESEC_E_UNSUPPORTED, "no secret keys");
}
edgesec_status GetSecret(void*, const char*, uint32_t*, edgesec_error* err) {
  return Fail(err, EDGESEC_E_NOT_FOUND, "no secret keys");
}
edgesec_status SecretOp(void*, const char*, edgesec_secret_op, const uint8_t*, size_t,
                        const uint8_t*, size_t, const uint8_t*, size_t, uint8_t*, size_t*,
                        edgesec_error* err) {
  return Fail(err, EDGESEC_E_UNSUPPORTED, "no secret keys");
}

edgesec_status DeleteKey(void* ctx, edgesec_key_kind kind, const char* id, edgesec_error* err) {
  auto* c = static_cast<Context*>(ctx);
  std::lock_guard lock(c->mutex);
  auto it = c->keys.find(id);
  if (kind != EDGESEC_KEY_PAIR || it == c->keys.end())
    return Fail(err, EDGESEC_E_NOT_FOUND, "no such key");
  EVP_PKEY_free(it->second);
  c->keys.erase(it);
  return EDGESEC_OK;
}

edgesec_status MoveKey(void* ctx, edgesec_key_kind kind, const char* from, const char* to,
                       edgesec_error* err) {
  auto* c = static_cast<Context*>(ctx);
  std::lock_guard lock(c->mutex);
  auto it = c->keys.find(from);
  if (kind != EDGESEC_KEY_PAIR || it == c->keys.end())
    return Fail(err, EDGESEC_E_NOT_FOUND, "no such key");
  EVP_PKEY* key = it->second;
  c->keys.erase(it);
  EVP_PKEY*& slot = c->keys[to];
  EVP_PKEY_free(slot);
  slot = key;
  return EDGESEC_OK;
}

edgesec_status ListKeys(void* ctx, edgesec_list_callback callback, void* user, edgesec_error*) {
  auto* c = static_cast<Context*>(ctx);
  std::lock_guard lock(c->mutex);
  for (const auto& [id, key] : c->keys)
    if (callback(user, id.c_str(), EDGESEC_KEY_PAIR, "ec-p256") != 0) break;
  return EDGESEC_OK;
}

const edgesec_key_engine kEngine = {
    TEST_ENGINE_ABI_VERSION,
    2,
    "test-vendor",
    &Open,
    &Close,
    &GenerateKeyPair,
    &ImportKeyPair,
    &GetKeyPair,
    &Sign,
    &CreateSecret,
    &GetSecret,
    &SecretOp,
    &DeleteKey,
    &MoveKey,
    &ListKeys,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const edgesec_key_engine*
edgesec_key_engine_entry(void) {
  return &kEngine;
}

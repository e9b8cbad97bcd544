// The pkcs11 engine's C ABI table: each entry checks what has an ABI status of its own (read-only,
// unsupported), calls the operation and turns its Error into a status and a message.
#include "keyd/engines/pkcs11/pkcs11_engine.hpp"

#include <cstring>

#include "common/json.hpp"
#include "keyd/engines/pkcs11/operations.hpp"

namespace edgesec::keyd::engines::pkcs11 {
namespace {

// Every entry starts with Ctx(): the failure that Fail() inspects must be this call's own.
Context& Ctx(void* ctx) {
  ResetLastFailure();
  return *static_cast<Context*>(ctx);
}

edgesec_status Fail(edgesec_error* err, edgesec_status status, const std::string& message) {
  if (err != nullptr) std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
  return status;
}

edgesec_status Fail(edgesec_error* err, const Error& e) {
  // The token cannot do this at all: a clear "unsupported", never a fallback.
  ck_rv_t rv = LastFailure();
  if (rv == CKR_MECHANISM_INVALID || rv == CKR_KEY_TYPE_INCONSISTENT ||
      rv == CKR_FUNCTION_NOT_SUPPORTED)
    return Fail(err, EDGESEC_E_UNSUPPORTED, "the token cannot do this: " + e.message);
  switch (e.kind) {
    case ErrorKind::kNotFound:
      return Fail(err, EDGESEC_E_NOT_FOUND, e.message);
    case ErrorKind::kInvalidParameter:
      return Fail(err, EDGESEC_E_INVALID, e.message);
    default:
      return Fail(err, EDGESEC_E_FAILED, e.message);
  }
}

edgesec_status Done(const Status& st, edgesec_error* err) {
  return st ? EDGESEC_OK : Fail(err, st.error());
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

edgesec_status ReadOnly(edgesec_error* err) {
  return Fail(err, EDGESEC_E_READ_ONLY,
              "the key is preloaded from config (a pkcs11: URI); keyd never deletes, moves or "
              "overwrites it");
}

edgesec_status Open(const char* options_json, void** ctx, edgesec_error* err) {
  auto opened = Context::Open(options_json ? options_json : "{}");
  if (!opened) return Fail(err, EDGESEC_E_FAILED, opened.error().message);
  *ctx = opened->release();
  return EDGESEC_OK;
}

void Close(void* ctx) {
  delete static_cast<Context*>(ctx);
}

edgesec_status GenerateKeyPairFn(void* ctx, const char* id, const char* algorithm,
                                 edgesec_error* err) {
  if (Ctx(ctx).IsPreloaded(id)) return ReadOnly(err);
  if (!CanGenerate(algorithm))
    return Fail(err, EDGESEC_E_UNSUPPORTED,
                std::string("the pkcs11 engine cannot create ") + algorithm + " keys");
  return Done(GenerateKeyPair(Ctx(ctx), id, algorithm), err);
}

edgesec_status ImportKeyPairFn(void* ctx, const char* id, const uint8_t* der, size_t len,
                               edgesec_error* err) {
  if (Ctx(ctx).IsPreloaded(id)) return ReadOnly(err);
  auto key = PrivateKeyFromPkcs8Der(Bytes(der, der + len));
  if (!key) return Fail(err, EDGESEC_E_INVALID, "the key is not a valid PKCS#8 private key");
  if (EVP_PKEY_get_base_id(key->get()) == EVP_PKEY_ED25519)
    return Fail(err, EDGESEC_E_UNSUPPORTED, "the pkcs11 engine does not hold Ed25519 keys");
  return Done(ImportKeyPair(Ctx(ctx), id, key->get()), err);
}

edgesec_status GetKeyPairFn(void* ctx, const char* id, char* algorithm, uint8_t* spki,
                            size_t* spki_len, edgesec_error* err) {
  auto pub = GetKeyPair(Ctx(ctx), id);
  if (!pub) return Fail(err, pub.error());
  std::snprintf(algorithm, EDGESEC_ALGORITHM_MAX, "%s", pub->algorithm.c_str());
  return CopyOut(pub->spki, spki, spki_len, err);
}

edgesec_status SignFn(void* ctx, const char* id, edgesec_mechanism mechanism, const uint8_t* in,
                      size_t in_len, uint8_t* out, size_t* out_len, edgesec_error* err) {
  if (mechanism == EDGESEC_MECH_EDDSA)
    return Fail(err, EDGESEC_E_UNSUPPORTED, "mechanism cannot be used with this key type");
  auto sig = Sign(Ctx(ctx), id, mechanism, Bytes(in, in + in_len));
  if (!sig) {
    if (sig.error().reason == ErrorReason::kUnsupportedMechanism)
      return Fail(err, EDGESEC_E_UNSUPPORTED, sig.error().message);
    return Fail(err, sig.error());
  }
  return CopyOut(*sig, out, out_len, err);
}

edgesec_status CreateSecretFn(void* ctx, const char* id, uint32_t usage, const uint8_t* bytes,
                              size_t len, edgesec_error* err) {
  if (bytes == nullptr) return Done(CreateSecret(Ctx(ctx), id, usage, nullptr), err);
  Secret key(bytes, len);
  return Done(CreateSecret(Ctx(ctx), id, usage, &key), err);
}

edgesec_status GetSecretFn(void* ctx, const char* id, uint32_t* usage, edgesec_error* err) {
  auto got = GetSecret(Ctx(ctx), id);
  if (!got) return Fail(err, got.error());
  *usage = *got;
  return EDGESEC_OK;
}

edgesec_status SecretOpFn(void* ctx, const char* id, edgesec_secret_op op, const uint8_t* iv,
                          size_t iv_len, const uint8_t* aad, size_t aad_len, const uint8_t* in,
                          size_t in_len, uint8_t* out, size_t* out_len, edgesec_error* err) {
  auto result = SecretOp(Ctx(ctx), id, op, Bytes(iv, iv + iv_len), Bytes(aad, aad + aad_len),
                         Bytes(in, in + in_len));
  if (!result) return Fail(err, result.error());
  edgesec_status copied = CopyOut(*result, out, out_len, err);
  OPENSSL_cleanse(result->data(), result->size());
  return copied;
}

edgesec_status DeleteKeyFn(void* ctx, edgesec_key_kind kind, const char* id, edgesec_error* err) {
  if (kind == EDGESEC_KEY_PAIR && Ctx(ctx).IsPreloaded(id)) return ReadOnly(err);
  return Done(DeleteKey(Ctx(ctx), kind, id), err);
}

edgesec_status MoveKeyFn(void* ctx, edgesec_key_kind kind, const char* from, const char* to,
                         edgesec_error* err) {
  if (kind == EDGESEC_KEY_PAIR && (Ctx(ctx).IsPreloaded(from) || Ctx(ctx).IsPreloaded(to)))
    return ReadOnly(err);
  return Done(MoveKey(Ctx(ctx), kind, from, to), err);
}

edgesec_status ListKeysFn(void* ctx, edgesec_list_callback callback, void* user,
                          edgesec_error* err) {
  auto keys = ListKeys(Ctx(ctx));
  if (!keys) return Fail(err, keys.error());
  for (const auto& k : *keys)
    if (callback(user, k.id.c_str(), k.kind, k.algorithm.c_str()) != 0) break;
  return EDGESEC_OK;
}

const edgesec_key_engine kTable = {
    EDGESEC_KEY_ENGINE_ABI_VERSION,
    2,
    "pkcs11",
    &Open,
    &Close,
    &GenerateKeyPairFn,
    &ImportKeyPairFn,
    &GetKeyPairFn,
    &SignFn,
    &CreateSecretFn,
    &GetSecretFn,
    &SecretOpFn,
    &DeleteKeyFn,
    &MoveKeyFn,
    &ListKeysFn,
};

}  // namespace

const edgesec_key_engine* Table() {
  return &kTable;
}

}  // namespace edgesec::keyd::engines::pkcs11

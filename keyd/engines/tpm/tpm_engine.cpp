// The tpm engine's C ABI table: each entry converts between the ABI and the operations (one file
// each).
#include "keyd/engines/tpm/tpm_engine.hpp"

#include <cstring>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "keyd/engines/tpm/context.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

Context& Of(void* ctx) {
  return *static_cast<Context*>(ctx);
}

edgesec_status Fail(edgesec_error* err, const Error& e, bool with_detail = false) {
  std::string text = with_detail && !IsUnsupported(e) ? e.Describe() : e.message;
  if (err != nullptr) std::snprintf(err->message, sizeof err->message, "%s", text.c_str());
  if (IsUnsupported(e)) return EDGESEC_E_UNSUPPORTED;
  switch (e.kind) {
    case ErrorKind::kNotFound:
      return EDGESEC_E_NOT_FOUND;
    case ErrorKind::kInvalidParameter:
      return EDGESEC_E_INVALID;
    default:
      return EDGESEC_E_FAILED;
  }
}

edgesec_status Done(const Status& st, edgesec_error* err) {
  return st ? EDGESEC_OK : Fail(err, st.error());
}

edgesec_status CopyOut(const Bytes& data, uint8_t* out, size_t* out_len, edgesec_error* err) {
  if (out == nullptr || *out_len < data.size()) {
    *out_len = data.size();
    if (err != nullptr) std::snprintf(err->message, sizeof err->message, "output buffer too small");
    return EDGESEC_E_BUFFER_TOO_SMALL;
  }
  std::memcpy(out, data.data(), data.size());
  *out_len = data.size();
  return EDGESEC_OK;
}

Expected<TpmOptions> ReadOptions(const Json& o) {
  TpmOptions t;
  if (!o.contains("tcti") || !o["tcti"].is_string())
    return InvalidParameter("tpm engine options need 'tcti'");
  t.tcti = o["tcti"].get<std::string>();
  if (o.contains("owner_auth") && o["owner_auth"].is_string()) {
    t.owner_auth = Secret::FromString(o["owner_auth"].get_ref<const std::string&>());
  } else if (o.contains("owner_auth_file") && o["owner_auth_file"].is_string()) {
    std::string path = o["owner_auth_file"].get<std::string>();
    auto text = fs::ReadFile(path, 4096);
    if (!text) return text.error().Context("reading owner_auth_file '" + path + "'");
    size_t len = text->size();
    while (len > 0 && ((*text)[len - 1] == '\n' || (*text)[len - 1] == '\r')) --len;
    t.owner_auth = Secret(reinterpret_cast<const unsigned char*>(text->data()), len);
    OPENSSL_cleanse(text->data(), text->size());
  }
  if (o.contains("persistent_handle") && o["persistent_handle"].is_number_integer())
    t.persistent_handle = o["persistent_handle"].get<TPM2_HANDLE>();
  return t;
}

edgesec_status Open(const char* options_json, void** ctx, edgesec_error* err) {
  auto parsed = ParseJsonObject(options_json ? options_json : "{}");
  if (!parsed) return Fail(err, InvalidParameter("engine options are not a JSON object"));
  JsonFields fields(*parsed);
  auto state_dir = fields.RequiredString("state_dir");
  if (!state_dir) return Fail(err, state_dir.error());
  auto options = ReadOptions(parsed->contains("options") ? (*parsed)["options"] : Json::object());
  if (!options) return Fail(err, options.error());
  auto context = std::make_unique<Context>(Context{nullptr, BlobStore(*state_dir)});
  if (Status st = context->store.Init(); !st) return Fail(err, st.error(), true);
  auto tpm = Tpm::Connect(std::move(*options));
  if (!tpm) return Fail(err, tpm.error(), true);
  context->tpm = std::move(*tpm);
  *ctx = context.release();
  return EDGESEC_OK;
}

void Close(void* ctx) {
  delete static_cast<Context*>(ctx);
}

edgesec_status GenerateKeyPairFn(void* ctx, const char* id, const char* algorithm,
                                 edgesec_error* err) {
  return Done(GenerateKeyPair(Of(ctx), id, algorithm), err);
}

edgesec_status ImportKeyPairFn(void* ctx, const char* id, const uint8_t* der, size_t len,
                               edgesec_error* err) {
  return Done(ImportKeyPair(Of(ctx), id, Bytes(der, der + len)), err);
}

edgesec_status GetKeyPair(void* ctx, const char* id, char* algorithm, uint8_t* spki,
                          size_t* spki_len, edgesec_error* err) {
  auto blob = Of(ctx).store.Read(EDGESEC_KEY_PAIR, id);
  if (!blob) return Fail(err, blob.error());
  auto der = SpkiOf(blob->pub.publicArea);
  if (!der) return Fail(err, der.error());
  std::snprintf(algorithm, EDGESEC_ALGORITHM_MAX, "%s", blob->algorithm.c_str());
  return CopyOut(*der, spki, spki_len, err);
}

edgesec_status SignFn(void* ctx, const char* id, edgesec_mechanism mechanism, const uint8_t* in,
                      size_t in_len, uint8_t* out, size_t* out_len, edgesec_error* err) {
  auto sig = SignDigest(Of(ctx), id, mechanism, Bytes(in, in + in_len));
  if (!sig) return Fail(err, sig.error());
  return CopyOut(*sig, out, out_len, err);
}

edgesec_status CreateSecret(void* ctx, const char* id, uint32_t usage, const uint8_t* bytes,
                            size_t len, edgesec_error* err) {
  return Done(CreateHmacKey(Of(ctx), id, usage, bytes, len), err);
}

edgesec_status GetSecret(void* ctx, const char* id, uint32_t* usage, edgesec_error* err) {
  auto blob = Of(ctx).store.Read(EDGESEC_KEY_SECRET, id);
  if (!blob) return Fail(err, blob.error());
  *usage = blob->usage;
  return EDGESEC_OK;
}

edgesec_status SecretOp(void* ctx, const char* id, edgesec_secret_op op, const uint8_t*, size_t,
                        const uint8_t*, size_t, const uint8_t* in, size_t in_len, uint8_t* out,
                        size_t* out_len, edgesec_error* err) {
  if (op != EDGESEC_SECRET_HMAC_SHA256)
    return Fail(
        err, Unsupported("AES-256-GCM is not a TPM 2.0 operation: TPM keys do HMAC-SHA256 only"));
  auto mac = HmacSha256(Of(ctx), id, Bytes(in, in + in_len));
  if (!mac) return Fail(err, mac.error());
  return CopyOut(*mac, out, out_len, err);
}

edgesec_status DeleteKey(void* ctx, edgesec_key_kind kind, const char* id, edgesec_error* err) {
  return Done(Of(ctx).store.Delete(kind, id), err);
}

edgesec_status MoveKey(void* ctx, edgesec_key_kind kind, const char* from, const char* to,
                       edgesec_error* err) {
  return Done(Of(ctx).store.Move(kind, from, to), err);
}

edgesec_status ListKeys(void* ctx, edgesec_list_callback callback, void* user, edgesec_error* err) {
  auto blobs = Of(ctx).store.List();
  if (!blobs) return Fail(err, blobs.error());
  for (const KeyBlob& b : *blobs) {
    const char* algorithm = b.kind == EDGESEC_KEY_PAIR ? b.algorithm.c_str() : "";
    if (callback(user, b.id.c_str(), b.kind, algorithm) != 0) break;
  }
  return EDGESEC_OK;
}

const edgesec_key_engine kTable = {
    EDGESEC_KEY_ENGINE_ABI_VERSION,
    2,
    "tpm",
    &Open,
    &Close,
    &GenerateKeyPairFn,
    &ImportKeyPairFn,
    &GetKeyPair,
    &SignFn,
    &CreateSecret,
    &GetSecret,
    &SecretOp,
    &DeleteKey,
    &MoveKey,
    &ListKeys,
};

}  // namespace

const edgesec_key_engine* Table() {
  return &kTable;
}

}  // namespace edgesec::keyd::engines::tpm

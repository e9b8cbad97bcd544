// Key management: what OpenSSL asks of a key object. The public half answers every question about
// the key (size, curve, public value) and is what leaves the provider; the private half never does:
// an export that asks for it fails, so OpenSSL runs the key's operations here.
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <cstring>

#include "keyd/client/provider/provider.hpp"

namespace edgesec::keyd::provider {
namespace {

template <int kType>
struct KeyType;
template <>
struct KeyType<0> {
  static constexpr const char* kName = "EC";
  static constexpr const char* kSignature = "ECDSA";
};
template <>
struct KeyType<1> {
  static constexpr const char* kName = "RSA";
  static constexpr const char* kSignature = "RSA";
};
template <>
struct KeyType<2> {
  static constexpr const char* kName = "ED25519";
  static constexpr const char* kSignature = "ED25519";
};

Key* AsKey(void* keydata) {
  return static_cast<Key*>(keydata);
}

template <int kType>
void* NewKey(void* provctx) {
  auto* key = new Key();
  key->provider = static_cast<ProviderContext*>(provctx);
  key->type = KeyType<kType>::kName;
  return key;
}

void FreeKey(void* keydata) {
  delete AsKey(keydata);
}

// The store hands over a reference: the address of its Key, valid during this call.
void* LoadReference(const void* reference, size_t size) {
  if (reference == nullptr || size != sizeof(Key*)) return nullptr;
  Key* from = nullptr;
  std::memcpy(&from, reference, sizeof(from));
  return from != nullptr ? from->Clone().release() : nullptr;
}

// EVP_PKEY_dup: the copy shares keyd's client and handle and the (immutable) public half.
void* Dup(const void* keydata, int) {
  const auto* key = static_cast<const Key*>(keydata);
  return key != nullptr ? key->Clone().release() : nullptr;
}

int Has(const void* keydata, int selection) {
  const auto* key = static_cast<const Key*>(keydata);
  if (key == nullptr) return 0;
  if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && !key->HasPrivate()) return 0;
  if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0 && !key->pub) return 0;
  return 1;
}

int Match(const void* a, const void* b, int) {
  const auto* x = static_cast<const Key*>(a);
  const auto* y = static_cast<const Key*>(b);
  if (!x->pub || !y->pub) return 0;
  return EVP_PKEY_eq(x->pub.get(), y->pub.get()) == 1 ? 1 : 0;
}

// A keyd-backed key (kParamKeyHandle + kParamKeydSocket, from LoadRemoteKey), or a public key
// imported from another provider so that it can be compared with ours.
int ImportKeydKey(Key* key, const OSSL_PARAM params[]) {
  const OSSL_PARAM* h = OSSL_PARAM_locate_const(params, kParamKeyHandle);
  const OSSL_PARAM* s = OSSL_PARAM_locate_const(params, kParamKeydSocket);
  const char* handle = nullptr;
  const char* socket = nullptr;
  if (!OSSL_PARAM_get_utf8_string_ptr(h, &handle) || !OSSL_PARAM_get_utf8_string_ptr(s, &socket))
    return 0;
  auto loaded = LoadKey(key->provider, key->provider->Client(socket), handle, "");
  if (!loaded) {
    RaiseError(loaded.error());
    return 0;
  }
  if ((*loaded)->type != key->type) {
    RaiseError("keyd key is " + (*loaded)->type + ", not " + key->type);
    return 0;
  }
  *key = std::move(**loaded);
  return 1;
}

int ImportPublic(Key* key, int selection, const OSSL_PARAM params[]) {
  if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0) return 0;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, key->type.c_str(), kOthers));
  EVP_PKEY* pub = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pub, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) !=
          1)
    return 0;
  key->pub.reset(pub);
  return 1;
}

int Import(void* keydata, int selection, const OSSL_PARAM params[]) {
  Key* key = AsKey(keydata);
  if (key == nullptr || params == nullptr) return 0;
  if (OSSL_PARAM_locate_const(params, kParamKeyHandle) != nullptr)
    return ImportKeydKey(key, params);
  return ImportPublic(key, selection, params);
}

template <int kType>
const OSSL_PARAM* ImportTypes(int selection) {
  static const OSSL_PARAM ec[] = {
      OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
      OSSL_PARAM_utf8_string(kParamKeyHandle, nullptr, 0),
      OSSL_PARAM_utf8_string(kParamKeydSocket, nullptr, 0), OSSL_PARAM_END};
  static const OSSL_PARAM rsa[] = {OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, nullptr, 0),
                                   OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, nullptr, 0),
                                   OSSL_PARAM_utf8_string(kParamKeyHandle, nullptr, 0),
                                   OSSL_PARAM_utf8_string(kParamKeydSocket, nullptr, 0),
                                   OSSL_PARAM_END};
  static const OSSL_PARAM ed[] = {OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
                                  OSSL_PARAM_utf8_string(kParamKeyHandle, nullptr, 0),
                                  OSSL_PARAM_utf8_string(kParamKeydSocket, nullptr, 0),
                                  OSSL_PARAM_END};
  if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0) return nullptr;
  return kType == 0 ? ec : kType == 1 ? rsa : ed;
}

int Export(void* keydata, int selection, OSSL_CALLBACK* callback, void* cbarg) {
  const Key* key = AsKey(keydata);
  // The private half stays in keyd. Refusing makes OpenSSL use this provider's operations.
  if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 || key == nullptr || !key->pub) return 0;
  return EVP_PKEY_export(key->pub.get(), selection, callback, cbarg);
}

template <int kType>
const OSSL_PARAM* ExportTypes(int selection) {
  return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? nullptr : ImportTypes<kType>(selection);
}

int GetParams(void* keydata, OSSL_PARAM params[]) {
  const Key* key = AsKey(keydata);
  if (key == nullptr || !key->pub) return 0;
  return EVP_PKEY_get_params(key->pub.get(), params);
}

template <int kType>
const OSSL_PARAM* GettableParams(void*) {
  // What the other provider's key management answers; fetched once.
  static const OSSL_PARAM* params = [] {
    EVP_KEYMGMT* other = EVP_KEYMGMT_fetch(nullptr, KeyType<kType>::kName, kOthers);
    const OSSL_PARAM* p = other != nullptr ? EVP_KEYMGMT_gettable_params(other) : nullptr;
    return p;  // `other` stays referenced: its table must outlive this pointer
  }();
  return params;
}

template <int kType>
const char* QueryOperationName(int operation_id) {
  if (operation_id == OSSL_OP_SIGNATURE) return KeyType<kType>::kSignature;
  if (operation_id == OSSL_OP_ASYM_CIPHER && kType == 1) return "RSA";
  return nullptr;
}

template <int kType>
const OSSL_DISPATCH kFunctions[] = {
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_NEW, &NewKey<kType>),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_FREE, &FreeKey),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_LOAD, &LoadReference),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_DUP, &Dup),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_HAS, &Has),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_MATCH, &Match),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_IMPORT, &Import),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, &ImportTypes<kType>),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_EXPORT, &Export),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, &ExportTypes<kType>),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_GET_PARAMS, &GetParams),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, &GettableParams<kType>),
    EDGESEC_OSSL_FN(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, &QueryOperationName<kType>),
    {0, nullptr}};

}  // namespace

const OSSL_ALGORITHM kKeyManagement[] = {
    {"EC:id-ecPublicKey:1.2.840.10045.2.1", kProperties, kFunctions<0>, "keyd EC key"},
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", kProperties, kFunctions<1>, "keyd RSA key"},
    {"ED25519:1.3.101.112", kProperties, kFunctions<2>, "keyd Ed25519 key"},
    {nullptr, nullptr, nullptr, nullptr}};

}  // namespace edgesec::keyd::provider

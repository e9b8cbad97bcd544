// RSA decryption with a keyd key: keyd's raw RSA operation, the padding removed here (PKCS#1 v1.5,
// OAEP, none, and the TLS 1.2 premaster-secret form libssl asks for when it serves RSA key
// exchange with a keyd key).
#define OPENSSL_SUPPRESS_DEPRECATED 1  // RSA_padding_check_*

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstring>

#include "keyd/client/provider/signature.hpp"

namespace edgesec::keyd::provider {
namespace {

constexpr int kTlsPadding = 7;  // RSA_PKCS1_WITH_TLS_PADDING (prov/providercommon.h)

struct CipherContext {
  std::unique_ptr<Key> key;
  int padding = RSA_PKCS1_PADDING;
  std::string oaep_md = "SHA1", mgf1;
  Bytes label;
  unsigned int client_version = 0, alt_version = 0;
};

void* NewContext(void*) {
  return new CipherContext();
}
void FreeContext(void* ctx) {
  delete static_cast<CipherContext*>(ctx);
}

int SetParams(void* ctx, const OSSL_PARAM params[]) {
  auto* c = static_cast<CipherContext*>(ctx);
  if (params == nullptr) return 1;
  if (!GetIntOrName(OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE),
                    {{"pkcs1", RSA_PKCS1_PADDING}, {"oaep", RSA_PKCS1_OAEP_PADDING},
                     {"none", RSA_NO_PADDING}},
                    &c->padding))
    return 0;
  const OSSL_PARAM* p = nullptr;
  const char* text = nullptr;
  if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST)) != nullptr) {
    if (!OSSL_PARAM_get_utf8_string_ptr(p, &text)) return 0;
    c->oaep_md = text;
  }
  if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST)) != nullptr) {
    if (!OSSL_PARAM_get_utf8_string_ptr(p, &text)) return 0;
    c->mgf1 = text;
  }
  if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL)) != nullptr) {
    const void* data = nullptr;
    size_t len = 0;
    if (!OSSL_PARAM_get_octet_string_ptr(p, &data, &len)) return 0;
    c->label.assign(static_cast<const unsigned char*>(data),
                    static_cast<const unsigned char*>(data) + len);
  }
  if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION)) != nullptr &&
      !OSSL_PARAM_get_uint(p, &c->client_version))
    return 0;
  if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION)) !=
          nullptr &&
      !OSSL_PARAM_get_uint(p, &c->alt_version))
    return 0;
  return 1;
}

const OSSL_PARAM* SettableParams(void*, void*) {
  static const OSSL_PARAM params[] = {
      OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, nullptr, 0),
      OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, nullptr, 0),
      OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, nullptr, 0),
      OSSL_PARAM_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, nullptr),
      OSSL_PARAM_uint(OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION, nullptr),
      OSSL_PARAM_END};
  return params;
}

int DecryptInit(void* ctx, void* keydata, const OSSL_PARAM params[]) {
  auto* c = static_cast<CipherContext*>(ctx);
  const Key* key = static_cast<const Key*>(keydata);
  if (key == nullptr || !key->HasPrivate() || key->type != "RSA") {
    RaiseError("decryption needs an RSA key pair held by keyd");
    return 0;
  }
  c->key = key->Clone();
  return SetParams(ctx, params);
}

// TLS 1.2 RSA key exchange: a bad padding or version must not be told apart from a good one, so
// it yields a random premaster secret (RFC 5246, 7.4.7.1).
Bytes TlsPremaster(const CipherContext& c, const Bytes& em) {
  Bytes secret(48);
  RAND_bytes(secret.data(), static_cast<int>(secret.size()));
  unsigned char out[48];
  int len = RSA_padding_check_PKCS1_type_2(out, sizeof(out), em.data(), static_cast<int>(em.size()),
                                           static_cast<int>(em.size()));
  bool good = len == 48 && ((out[0] << 8 | out[1]) == static_cast<int>(c.client_version) ||
                            (out[0] << 8 | out[1]) == static_cast<int>(c.alt_version));
  if (good) std::memcpy(secret.data(), out, 48);
  secret[0] = static_cast<unsigned char>(c.client_version >> 8);
  secret[1] = static_cast<unsigned char>(c.client_version & 0xff);
  return secret;
}

Expected<Bytes> Unpad(const CipherContext& c, const Bytes& em) {
  if (c.padding == RSA_NO_PADDING) return em;
  if (c.padding == kTlsPadding) return TlsPremaster(c, em);
  Bytes out(em.size());
  int len = -1;
  int k = static_cast<int>(em.size());
  if (c.padding == RSA_PKCS1_PADDING) {
    len = RSA_padding_check_PKCS1_type_2(out.data(), k, em.data(), k, k);
  } else if (c.padding == RSA_PKCS1_OAEP_PADDING) {
    UniquePtr<EVP_MD> md(EVP_MD_fetch(nullptr, c.oaep_md.c_str(), nullptr));
    UniquePtr<EVP_MD> mgf(
        EVP_MD_fetch(nullptr, (c.mgf1.empty() ? c.oaep_md : c.mgf1).c_str(), nullptr));
    if (md && mgf)
      len = RSA_padding_check_PKCS1_OAEP_mgf1(out.data(), k, em.data(), k, k, c.label.data(),
                                              static_cast<int>(c.label.size()), md.get(),
                                              mgf.get());
  }
  if (len < 0) return InvalidParameter("decryption failed");
  out.resize(static_cast<size_t>(len));
  return out;
}

int Decrypt(void* ctx, unsigned char* out, size_t* outlen, size_t outsize, const unsigned char* in,
            size_t inlen) {
  auto* c = static_cast<CipherContext*>(ctx);
  size_t k = static_cast<size_t>(EVP_PKEY_get_size(c->key->pub.get()));
  if (out == nullptr) {
    *outlen = k;
    return 1;
  }
  auto em = RsaPrivate(*c->key, Bytes(in, in + inlen));
  if (!em) {
    RaiseError("key '" + c->key->key_id + "': " + em.error().message);
    return 0;
  }
  auto plain = Unpad(*c, *em);
  OPENSSL_cleanse(em->data(), em->size());
  if (!plain || plain->size() > outsize) {
    RaiseError(plain ? std::string("output buffer too small") : plain.error().message);
    return 0;
  }
  std::memcpy(out, plain->data(), plain->size());
  *outlen = plain->size();
  OPENSSL_cleanse(plain->data(), plain->size());
  return 1;
}

const OSSL_DISPATCH kFunctions[] = {
    EDGESEC_OSSL_FN(OSSL_FUNC_ASYM_CIPHER_NEWCTX, &NewContext),
    EDGESEC_OSSL_FN(OSSL_FUNC_ASYM_CIPHER_FREECTX, &FreeContext),
    EDGESEC_OSSL_FN(OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, &DecryptInit),
    EDGESEC_OSSL_FN(OSSL_FUNC_ASYM_CIPHER_DECRYPT, &Decrypt),
    EDGESEC_OSSL_FN(OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, &SetParams),
    EDGESEC_OSSL_FN(OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS, &SettableParams),
    {0, nullptr}};

}  // namespace

const OSSL_ALGORITHM kAsymCiphers[] = {
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", kProperties, kFunctions, "RSA decryption in keyd"},
    {nullptr, nullptr, nullptr, nullptr}};

}  // namespace edgesec::keyd::provider

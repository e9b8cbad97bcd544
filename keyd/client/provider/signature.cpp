// Signature operations (ECDSA, RSA PKCS#1 v1.5 and PSS, Ed25519) of keyd keys. The digest is made
// here; the signature is keyd's (sign_ops.cpp). A twin verification context on the public half,
// in another provider, answers what OpenSSL asks about the signature (its AlgorithmIdentifier for
// X.509), so that answer is OpenSSL's own.
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include <cstring>

#include "keyd/client/provider/signature.hpp"

namespace edgesec::keyd::provider {
namespace {

struct SignatureContext {
  std::unique_ptr<Key> key;
  std::string md, mgf1;
  int padding = RSA_PKCS1_PADDING;
  int salt_length = RSA_PSS_SALTLEN_AUTO;
  EvpMdCtxPtr digest;  // digest-sign: the running hash
  EvpMdCtxPtr twin_md;  // owns `twin` after a digest-verify init
  EVP_PKEY_CTX* twin = nullptr;
  EvpPkeyCtxPtr twin_owned;  // owns `twin` after a plain verify init
};

SignatureContext* Ctx(void* ctx) {
  return static_cast<SignatureContext*>(ctx);
}

void* NewContext(void*, const char*) {
  return new SignatureContext();
}
void FreeContext(void* ctx) {
  delete Ctx(ctx);
}

// OpenSSL finishes a copy when the caller may go on hashing (EVP_DigestSignFinal,
// EVP_DigestVerifyFinal): the copy carries the running hash and the twin.
void* DupContext(void* ctx) {
  const SignatureContext* from = Ctx(ctx);
  auto copy = std::make_unique<SignatureContext>();
  if (from->key) copy->key = from->key->Clone();
  copy->md = from->md;
  copy->mgf1 = from->mgf1;
  copy->padding = from->padding;
  copy->salt_length = from->salt_length;
  if (from->digest) {
    copy->digest.reset(EVP_MD_CTX_new());
    if (!copy->digest || EVP_MD_CTX_copy_ex(copy->digest.get(), from->digest.get()) != 1)
      return nullptr;
  }
  if (from->twin_md) {
    copy->twin_md.reset(EVP_MD_CTX_new());
    if (!copy->twin_md || EVP_MD_CTX_copy_ex(copy->twin_md.get(), from->twin_md.get()) != 1)
      return nullptr;
    copy->twin = EVP_MD_CTX_get_pkey_ctx(copy->twin_md.get());
  } else if (from->twin_owned) {
    copy->twin_owned.reset(EVP_PKEY_CTX_dup(from->twin_owned.get()));
    copy->twin = copy->twin_owned.get();
  }
  return copy.release();
}

// Our state from the parameters OpenSSL sets (digest, RSA padding, PSS salt and MGF1 digest).
int TakeParams(SignatureContext* c, const OSSL_PARAM params[]) {
  if (params == nullptr) return 1;
  const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST);
  const char* text = nullptr;
  if (p != nullptr) {
    if (!OSSL_PARAM_get_utf8_string_ptr(p, &text)) return 0;
    c->md = text;
  }
  p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
  if (p != nullptr) {
    if (!OSSL_PARAM_get_utf8_string_ptr(p, &text)) return 0;
    c->mgf1 = text;
  }
  if (!GetIntOrName(OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE),
                    {{"pkcs1", RSA_PKCS1_PADDING}, {"pss", RSA_PKCS1_PSS_PADDING},
                     {"none", RSA_NO_PADDING}},
                    &c->padding))
    return 0;
  return GetIntOrName(OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN),
                      {{"digest", RSA_PSS_SALTLEN_DIGEST},
                       {"max", RSA_PSS_SALTLEN_MAX},
                       {"auto", RSA_PSS_SALTLEN_AUTO}},
                      &c->salt_length, /*numbers_as_text=*/true);
}

int SetParams(void* ctx, const OSSL_PARAM params[]) {
  SignatureContext* c = Ctx(ctx);
  if (!TakeParams(c, params)) return 0;
  return c->twin == nullptr || params == nullptr || EVP_PKEY_CTX_set_params(c->twin, params) == 1;
}

int GetParams(void* ctx, OSSL_PARAM params[]) {
  SignatureContext* c = Ctx(ctx);
  return c->twin != nullptr && EVP_PKEY_CTX_get_params(c->twin, params) == 1;
}

const OSSL_PARAM* SettableParams(void*, void*) {
  static const OSSL_PARAM params[] = {
      OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, nullptr, 0),
      OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, nullptr, 0),
      OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, nullptr, 0),
      OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, nullptr, 0),
      OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, nullptr, 0),
      OSSL_PARAM_END};
  return params;
}

const OSSL_PARAM* GettableParams(void*, void*) {
  static const OSSL_PARAM params[] = {
      OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, nullptr, 0),
      OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, nullptr, 0), OSSL_PARAM_END};
  return params;
}

// Starts an operation on `keydata`: our copy of the key, and the twin on its public half.
int Start(SignatureContext* c, void* keydata, const char* md, const OSSL_PARAM params[],
          bool needs_private) {
  const Key* key = static_cast<const Key*>(keydata);
  if (key == nullptr || !key->pub || (needs_private && !key->HasPrivate())) {
    RaiseError("this key has no private half in keyd");
    return 0;
  }
  c->key = key->Clone();
  c->md = md != nullptr ? md : "";
  c->twin_md.reset(EVP_MD_CTX_new());
  c->twin_owned.reset();
  c->twin = nullptr;
  if (!c->twin_md ||
      EVP_DigestVerifyInit_ex(c->twin_md.get(), &c->twin, md, nullptr, kOthers,
                              c->key->pub.get(), nullptr) != 1)
    return 0;
  return SetParams(c, params);
}

int SignInit(void* ctx, void* keydata, const OSSL_PARAM params[]) {
  SignatureContext* c = Ctx(ctx);
  c->digest.reset();
  return Start(c, keydata, nullptr, params, true);
}

int DigestSignInit(void* ctx, const char* md, void* keydata, const OSSL_PARAM params[]) {
  SignatureContext* c = Ctx(ctx);
  if (!Start(c, keydata, md, params, true)) return 0;
  if (c->key->type == "ED25519") return 1;  // one-shot: no running hash
  if (c->md.empty()) c->md = "SHA256";
  UniquePtr<EVP_MD> md_impl(EVP_MD_fetch(nullptr, c->md.c_str(), nullptr));
  c->digest.reset(EVP_MD_CTX_new());
  return md_impl && c->digest && EVP_DigestInit_ex2(c->digest.get(), md_impl.get(), nullptr) == 1;
}

int Finish(SignatureContext* c, unsigned char* sig, size_t* siglen, size_t sigsize,
           const Bytes& input) {
  size_t max = static_cast<size_t>(EVP_PKEY_get_size(c->key->pub.get()));
  if (sig == nullptr) {
    *siglen = max;
    return 1;
  }
  Expected<Bytes> out = InvalidParameter("unsupported key type");
  if (c->key->type == "EC")
    out = SignEcdsa(*c->key, input);
  else if (c->key->type == "ED25519")
    out = SignEd25519(*c->key, input);
  else if (c->padding == RSA_PKCS1_PSS_PADDING)
    out = SignRsaPss(*c->key, c->md, c->mgf1, c->salt_length, input);
  else if (c->padding == RSA_NO_PADDING)
    out = RsaPrivate(*c->key, input);
  else
    out = SignRsaPkcs1(*c->key, c->md, input);
  if (!out) {
    RaiseError("key '" + (c->key->key_id.empty() ? c->key->handle.substr(0, 12) : c->key->key_id) +
               "': " + out.error().message);
    return 0;
  }
  if (out->size() > sigsize) return 0;
  std::memcpy(sig, out->data(), out->size());
  *siglen = out->size();
  return 1;
}

int Sign(void* ctx, unsigned char* sig, size_t* siglen, size_t sigsize, const unsigned char* tbs,
         size_t tbslen) {
  return Finish(Ctx(ctx), sig, siglen, sigsize, Bytes(tbs, tbs + tbslen));
}

int DigestSignUpdate(void* ctx, const unsigned char* data, size_t len) {
  SignatureContext* c = Ctx(ctx);
  return c->digest && EVP_DigestUpdate(c->digest.get(), data, len) == 1;
}

int DigestSignFinal(void* ctx, unsigned char* sig, size_t* siglen, size_t sigsize) {
  SignatureContext* c = Ctx(ctx);
  if (sig == nullptr) return Finish(c, nullptr, siglen, sigsize, {});
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!c->digest || EVP_DigestFinal_ex(c->digest.get(), md, &len) != 1) return 0;
  return Finish(c, sig, siglen, sigsize, Bytes(md, md + len));
}

int DigestSignOneShot(void* ctx, unsigned char* sig, size_t* siglen, size_t sigsize,
                      const unsigned char* tbs, size_t tbslen) {
  return Finish(Ctx(ctx), sig, siglen, sigsize,
                tbs != nullptr ? Bytes(tbs, tbs + tbslen) : Bytes());
}

// Verification needs no keyd: the twin on the public half does it (OpenSSL checks a CSR it has
// just signed, `openssl req -new`).
int VerifyInit(void* ctx, void* keydata, const OSSL_PARAM params[]) {
  SignatureContext* c = Ctx(ctx);
  const Key* key = static_cast<const Key*>(keydata);
  if (key == nullptr || !key->pub) return 0;
  c->key = key->Clone();
  c->twin_md.reset();
  c->twin_owned.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, c->key->pub.get(), kOthers));
  c->twin = c->twin_owned.get();
  if (c->twin == nullptr || EVP_PKEY_verify_init(c->twin) != 1) return 0;
  return SetParams(c, params);
}

int Verify(void* ctx, const unsigned char* sig, size_t siglen, const unsigned char* tbs,
           size_t tbslen) {
  SignatureContext* c = Ctx(ctx);
  return c->twin != nullptr && EVP_PKEY_verify(c->twin, sig, siglen, tbs, tbslen) == 1;
}

int DigestVerifyInit(void* ctx, const char* md, void* keydata, const OSSL_PARAM params[]) {
  return Start(Ctx(ctx), keydata, md, params, false);
}

int DigestVerifyUpdate(void* ctx, const unsigned char* data, size_t len) {
  SignatureContext* c = Ctx(ctx);
  return c->twin_md && EVP_DigestVerifyUpdate(c->twin_md.get(), data, len) == 1;
}

int DigestVerifyFinal(void* ctx, const unsigned char* sig, size_t siglen) {
  SignatureContext* c = Ctx(ctx);
  return c->twin_md && EVP_DigestVerifyFinal(c->twin_md.get(), sig, siglen) == 1;
}

int DigestVerifyOneShot(void* ctx, const unsigned char* sig, size_t siglen,
                        const unsigned char* tbs, size_t tbslen) {
  SignatureContext* c = Ctx(ctx);
  return c->twin_md && EVP_DigestVerify(c->twin_md.get(), sig, siglen, tbs, tbslen) == 1;
}

#define EDGESEC_COMMON_FNS                                                   \
  EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_NEWCTX, &NewContext),                      \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_FREECTX, &FreeContext),                \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DUPCTX, &DupContext),                  \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, &DigestSignInit),    \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, &DigestVerifyInit), \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, &GetParams),           \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, &GettableParams), \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, &SetParams),           \
      EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, &SettableParams)

const OSSL_DISPATCH kWithDigest[] = {
    EDGESEC_COMMON_FNS,
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_SIGN_INIT, &SignInit),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_SIGN, &Sign),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, &DigestSignUpdate),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, &DigestSignFinal),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_VERIFY_INIT, &VerifyInit),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_VERIFY, &Verify),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE, &DigestVerifyUpdate),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL, &DigestVerifyFinal),
    {0, nullptr}};

const OSSL_DISPATCH kOneShot[] = {
    EDGESEC_COMMON_FNS, EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN, &DigestSignOneShot),
    EDGESEC_OSSL_FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY, &DigestVerifyOneShot), {0, nullptr}};
#undef EDGESEC_COMMON_FNS

}  // namespace

const OSSL_ALGORITHM kSignatures[] = {
    {"ECDSA", kProperties, kWithDigest, "ECDSA with a keyd key"},
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", kProperties, kWithDigest,
     "RSA PKCS#1 v1.5 and PSS with a keyd key"},
    {"ED25519:1.3.101.112", kProperties, kOneShot, "Ed25519 with a keyd key"},
    {nullptr, nullptr, nullptr, nullptr}};

}  // namespace edgesec::keyd::provider

#include "keyd/engines/file/sign.hpp"

#include <openssl/err.h>
#include <openssl/hmac.h>

namespace edgesec::keyd::engines::file {
namespace {

Bytes Failed(edgesec_status* status, std::string* message, edgesec_status code, std::string text) {
  *status = code;
  *message = std::move(text);
  ERR_clear_error();
  return {};
}

// A context for `mechanism` on `key`, initialised for EVP_PKEY_sign with the mechanism's
// padding and digest; null (the error queue cleared) when OpenSSL refuses.
EvpPkeyCtxPtr InitialisedContext(EVP_PKEY* key, edgesec_mechanism mechanism) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  bool ok = ctx && EVP_PKEY_sign_init(ctx.get()) == 1;
  switch (mechanism) {
    case EDGESEC_MECH_RSA_PKCS1_SHA256:
      ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
           EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1;
      break;
    case EDGESEC_MECH_RSA_PSS_SHA256:
      ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) == 1;
      break;
    case EDGESEC_MECH_RSA_PKCS1_RAW:
      ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1;
      break;
    case EDGESEC_MECH_RSA_NO_PADDING:
      ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) == 1;
      break;
    default:
      break;
  }
  if (ok) return ctx;
  ERR_clear_error();
  return nullptr;
}

}  // namespace

EvpPkeyCtxPtr PreparedContexts::ContextFor(EVP_PKEY* key, edgesec_mechanism mechanism) {
  EVP_PKEY_CTX* prepared = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = templates_.find(mechanism);
    if (it == templates_.end()) {
      EvpPkeyCtxPtr made = InitialisedContext(key, mechanism);
      if (!made) return nullptr;
      it = templates_.emplace(mechanism, std::move(made)).first;
    }
    prepared = it->second.get();
  }
  EvpPkeyCtxPtr copy(EVP_PKEY_CTX_dup(prepared));  // reads the template only
  if (!copy) ERR_clear_error();
  return copy;
}

Bytes SignWithKey(EVP_PKEY* key, PreparedContexts* prepared, edgesec_mechanism mechanism,
                  const uint8_t* in, size_t in_len, edgesec_status* status,
                  std::string* message) {
  *status = EDGESEC_OK;
  int type = EVP_PKEY_get_base_id(key);
  bool fits =
      (mechanism == EDGESEC_MECH_ECDSA && type == EVP_PKEY_EC) ||
      (mechanism == EDGESEC_MECH_EDDSA && type == EVP_PKEY_ED25519) ||
      ((mechanism == EDGESEC_MECH_RSA_PKCS1_SHA256 || mechanism == EDGESEC_MECH_RSA_PSS_SHA256 ||
        mechanism == EDGESEC_MECH_RSA_PKCS1_RAW || mechanism == EDGESEC_MECH_RSA_NO_PADDING) &&
       type == EVP_PKEY_RSA);
  if (!fits)
    return Failed(status, message, EDGESEC_E_UNSUPPORTED,
                  "mechanism cannot be used with this key type");

  if (mechanism == EDGESEC_MECH_EDDSA) {
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    size_t len = 0;
    if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key) != 1 ||
        EVP_DigestSign(md.get(), nullptr, &len, in, in_len) != 1)
      return Failed(status, message, EDGESEC_E_FAILED, "Ed25519 signing failed");
    Bytes sig(len);
    if (EVP_DigestSign(md.get(), sig.data(), &len, in, in_len) != 1)
      return Failed(status, message, EDGESEC_E_FAILED, "Ed25519 signing failed");
    sig.resize(len);
    return sig;
  }

  size_t modulus = static_cast<size_t>(EVP_PKEY_get_size(key));
  if (mechanism == EDGESEC_MECH_ECDSA && (in_len == 0 || in_len > 64))
    return Failed(status, message, EDGESEC_E_INVALID, "digest must be 1 to 64 bytes long");
  if ((mechanism == EDGESEC_MECH_RSA_PKCS1_SHA256 || mechanism == EDGESEC_MECH_RSA_PSS_SHA256) &&
      in_len != 32)
    return Failed(status, message, EDGESEC_E_INVALID, "digest must be a 32-byte SHA-256 digest");
  if (mechanism == EDGESEC_MECH_RSA_PKCS1_RAW && (in_len == 0 || in_len + 11 > modulus))
    return Failed(status, message, EDGESEC_E_INVALID,
                  "plaintext must be 1 to (modulus length - 11) bytes long");
  if (mechanism == EDGESEC_MECH_RSA_NO_PADDING && in_len != modulus)
    return Failed(status, message, EDGESEC_E_INVALID,
                  "plaintext must be exactly as long as the modulus");

  EvpPkeyCtxPtr ctx = prepared != nullptr ? prepared->ContextFor(key, mechanism) : nullptr;
  if (!ctx) ctx = InitialisedContext(key, mechanism);
  if (!ctx) return Failed(status, message, EDGESEC_E_FAILED, "signing failed");
  size_t len = modulus;  // the longest signature of this key (a DER ECDSA signature, an RSA one)
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, in, in_len) != 1)
    return Failed(status, message, EDGESEC_E_INVALID,
                  "signing failed: the input does not fit this key");
  sig.resize(len);
  return sig;
}

Bytes SecretOperation(const Secret& key, edgesec_secret_op op, const uint8_t* iv, size_t iv_len,
                      const uint8_t* aad, size_t aad_len, const uint8_t* in, size_t in_len,
                      edgesec_status* status, std::string* message) {
  *status = EDGESEC_OK;
  if (op == EDGESEC_SECRET_HMAC_SHA256) {
    Bytes mac(32);
    unsigned int len = 32;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), in, in_len, mac.data(),
             &len) == nullptr)
      return Failed(status, message, EDGESEC_E_FAILED, "HMAC failed");
    return mac;
  }
  if (key.size() != 32)
    return Failed(status, message, EDGESEC_E_UNSUPPORTED, "AES-256-GCM needs a 32-byte key");
  if (iv_len == 0 || iv_len > 128)
    return Failed(status, message, EDGESEC_E_INVALID, "iv must be 1 to 128 bytes long");
  bool encrypt = op == EDGESEC_SECRET_AEAD_ENCRYPT;
  if (!encrypt && in_len < 16)
    return Failed(status, message, EDGESEC_E_INVALID, "ciphertext is shorter than its tag");
  size_t body = encrypt ? in_len : in_len - 16;
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  Bytes out(body + (encrypt ? 16 : 0));
  bool ok =
      ctx &&
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv_len), nullptr) ==
          1 &&
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv, -1) == 1 &&
      (aad_len == 0 ||
       EVP_CipherUpdate(ctx.get(), nullptr, &len, aad, static_cast<int>(aad_len)) == 1) &&
      (body == 0 || EVP_CipherUpdate(ctx.get(), out.data(), &len, in, static_cast<int>(body)) == 1);
  if (!ok) return Failed(status, message, EDGESEC_E_FAILED, "AES-256-GCM failed");
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16,
                                      const_cast<uint8_t*>(in + body)) != 1)
    return Failed(status, message, EDGESEC_E_FAILED, "AES-256-GCM failed");
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + body, &final_len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Failed(status, message, EDGESEC_E_INVALID,
                  "decryption failed: the ciphertext, iv, aad or tag do not match");
  }
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + body) != 1)
    return Failed(status, message, EDGESEC_E_FAILED, "AES-256-GCM failed");
  return out;
}

}  // namespace edgesec::keyd::engines::file

// The legacy key-method APIs are deprecated in OpenSSL 3 but remain the supported way for a key
// whose private half lives outside the process to reach libssl without writing a provider.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "keyd/client/remote_key.hpp"

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <cstring>
#include <mutex>

#include "common/log.hpp"

namespace edgesec::keyd {
namespace {

struct RemoteContext {
  std::shared_ptr<KeydClient> client;
  std::string handle;
};

void FreeContext(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<RemoteContext*>(ptr);
}

// EVP_PKEY_dup (EC_KEY_dup, RSA dup) copies ex_data pointers: the copy needs its own context, or
// both keys would delete the same one.
int DupContext(CRYPTO_EX_DATA*, const CRYPTO_EX_DATA*, void** from_d, int, long, void*) {
  if (*from_d != nullptr) *from_d = new RemoteContext(*static_cast<RemoteContext*>(*from_d));
  return 1;
}

int EcIndex() {
  static int index = EC_KEY_get_ex_new_index(0, nullptr, nullptr, &DupContext, &FreeContext);
  return index;
}
int RsaIndex() {
  static int index = RSA_get_ex_new_index(0, nullptr, nullptr, &DupContext, &FreeContext);
  return index;
}

Expected<Bytes> RemoteSign(RemoteContext* ctx, api::SignAlgorithm algorithm,
                           const unsigned char* in, size_t len) {
  api::SignRequest req;
  req.key_handle = ctx->handle;
  req.algorithm = algorithm;
  req.data.assign(in, in + len);
  return ctx->client->Sign(req);
}

void ReportFailure(const Error& e) {
  log::Warning("keyd signing for OpenSSL failed: " + e.Describe());
  ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "keyd: %s", e.message.c_str());
}

// ---- EC ----
int EcSign(int, const unsigned char* dgst, int dlen, unsigned char* sig, unsigned int* siglen,
           const BIGNUM*, const BIGNUM*, EC_KEY* ec) {
  auto* ctx = static_cast<RemoteContext*>(EC_KEY_get_ex_data(ec, EcIndex()));
  auto der = RemoteSign(ctx, api::SignAlgorithm::kEcdsa, dgst, static_cast<size_t>(dlen));
  if (!der) {
    ReportFailure(der.error());
    return 0;
  }
  if (der->size() > static_cast<size_t>(ECDSA_size(ec))) return 0;
  std::memcpy(sig, der->data(), der->size());
  *siglen = static_cast<unsigned int>(der->size());
  return 1;
}

ECDSA_SIG* EcSignSig(const unsigned char* dgst, int dlen, const BIGNUM*, const BIGNUM*,
                     EC_KEY* ec) {
  auto* ctx = static_cast<RemoteContext*>(EC_KEY_get_ex_data(ec, EcIndex()));
  auto der = RemoteSign(ctx, api::SignAlgorithm::kEcdsa, dgst, static_cast<size_t>(dlen));
  if (!der) {
    ReportFailure(der.error());
    return nullptr;
  }
  const unsigned char* p = der->data();
  return d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size()));
}

int EcSignSetup(EC_KEY*, BN_CTX*, BIGNUM**, BIGNUM**) {
  return 1;
}  // keyd picks k itself

const EC_KEY_METHOD* EcMethod() {
  static EC_KEY_METHOD* method = [] {
    EC_KEY_METHOD* m = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    EC_KEY_METHOD_set_sign(m, &EcSign, &EcSignSetup, &EcSignSig);
    return m;
  }();
  return method;
}

// ---- RSA ----
int RsaPrivEnc(int flen, const unsigned char* from, unsigned char* to, RSA* rsa, int padding) {
  auto* ctx = static_cast<RemoteContext*>(RSA_get_ex_data(rsa, RsaIndex()));
  api::EncryptRequest req;
  req.key_handle = ctx->handle;
  if (padding == RSA_PKCS1_PADDING)
    req.algorithm = api::EncryptAlgorithm::kRsaPkcs1;
  else if (padding == RSA_NO_PADDING)
    req.algorithm = api::EncryptAlgorithm::kRsaNoPadding;
  else
    return -1;
  req.data.assign(from, from + flen);
  auto out = ctx->client->Encrypt(req);
  if (!out) {
    ReportFailure(out.error());
    return -1;
  }
  if (out->size() != static_cast<size_t>(RSA_size(rsa))) return -1;
  std::memcpy(to, out->data(), out->size());
  return static_cast<int>(out->size());
}

int RsaPrivDec(int, const unsigned char*, unsigned char*, RSA*, int) {
  ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "keyd keys do not decrypt with RSA");
  return -1;
}

const RSA_METHOD* RsaMethod() {
  static RSA_METHOD* method = [] {
    RSA_METHOD* m = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    RSA_meth_set1_name(m, "edgesec keyd");
    RSA_meth_set_priv_enc(m, &RsaPrivEnc);
    RSA_meth_set_priv_dec(m, &RsaPrivDec);
    return m;
  }();
  return method;
}

}  // namespace

Expected<EvpPkeyPtr> LoadRemoteKey(std::shared_ptr<KeydClient> client,
                                   const std::string& key_handle) {
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr pub, client->PublicKey(key_handle));
  auto context = std::make_unique<RemoteContext>(RemoteContext{std::move(client), key_handle});
  EvpPkeyPtr out(EVP_PKEY_new());
  switch (EVP_PKEY_get_base_id(pub.get())) {
    case EVP_PKEY_EC: {
      EC_KEY* pub_ec = EVP_PKEY_get1_EC_KEY(pub.get());
      EC_KEY* ec = EC_KEY_new();
      bool ok = pub_ec && ec && EC_KEY_set_method(ec, EcMethod()) == 1 &&
                EC_KEY_set_group(ec, EC_KEY_get0_group(pub_ec)) == 1 &&
                EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(pub_ec)) == 1 &&
                EC_KEY_set_ex_data(ec, EcIndex(), context.get()) == 1;
      EC_KEY_free(pub_ec);
      if (!ok) {
        EC_KEY_free(ec);
        return OpenSslError("cannot build the keyd-backed EC key");
      }
      context.release();  // owned by the EC_KEY's ex_data from here on
      if (EVP_PKEY_assign_EC_KEY(out.get(), ec) != 1) {
        EC_KEY_free(ec);
        return OpenSslError("cannot build the keyd-backed EC key");
      }
      return out;
    }
    case EVP_PKEY_RSA: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      EVP_PKEY_get_bn_param(pub.get(), "n", &n);
      EVP_PKEY_get_bn_param(pub.get(), "e", &e);
      RSA* rsa = RSA_new();
      bool ok = n && e && rsa && RSA_set_method(rsa, RsaMethod()) == 1 &&
                RSA_set0_key(rsa, n, e, nullptr) == 1;
      if (!ok) {
        BN_free(n);
        BN_free(e);
        RSA_free(rsa);
        return OpenSslError("cannot build the keyd-backed RSA key");
      }
      RSA_set_ex_data(rsa, RsaIndex(), context.release());
      if (EVP_PKEY_assign_RSA(out.get(), rsa) != 1) {
        RSA_free(rsa);
        return OpenSslError("cannot build the keyd-backed RSA key");
      }
      return out;
    }
    default:
      return InvalidParameter(
          "only EC and RSA keys can be used through OpenSSL; Ed25519 keys cannot (yet)");
  }
}

}  // namespace edgesec::keyd

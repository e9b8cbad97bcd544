// Public keys of TPM objects as OpenSSL sees them.
#include <openssl/core_names.h>

#include "keyd/engines/tpm/context.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

constexpr char kUnsupportedTag[] = "tpm:unsupported";

Bytes Padded(const uint8_t* data, size_t len, size_t width) {
  Bytes out(width > len ? width - len : 0, 0);
  out.insert(out.end(), data, data + len);
  return out;
}

Expected<Bytes> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  UniquePtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return OpenSslError("building the public key of a TPM key");
  EvpPkeyPtr owned(key);
  return PublicKeyToSpkiDer(owned.get());
}

}  // namespace

Error Unsupported(std::string message) {
  return MakeError(ErrorKind::kInvalidParameter, std::move(message), kUnsupportedTag);
}
bool IsUnsupported(const Error& e) {
  return e.detail == kUnsupportedTag;
}

size_t ModulusBytes(const TPMT_PUBLIC& pub) {
  return pub.type == TPM2_ALG_RSA ? pub.parameters.rsaDetail.keyBits / 8 : 0;
}

Expected<Bytes> SpkiOf(const TPMT_PUBLIC& pub) {
  UniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (pub.type == TPM2_ALG_ECC) {
    if (pub.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256)
      return Internal("TPM key on an unexpected curve");
    Bytes point{0x04};
    Bytes x = Padded(pub.unique.ecc.x.buffer, pub.unique.ecc.x.size, 32);
    Bytes y = Padded(pub.unique.ecc.y.buffer, pub.unique.ecc.y.size, 32);
    point.insert(point.end(), x.begin(), x.end());
    point.insert(point.end(), y.begin(), y.end());
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1)
      return OpenSslError("building an EC public key");
    return FromParams("EC", bld.get());
  }
  if (pub.type == TPM2_ALG_RSA) {
    BignumPtr n(BN_bin2bn(pub.unique.rsa.buffer, pub.unique.rsa.size, nullptr));
    BignumPtr e(BN_new());
    UINT32 exponent =
        pub.parameters.rsaDetail.exponent == 0 ? 65537 : pub.parameters.rsaDetail.exponent;
    if (!n || !e || BN_set_word(e.get(), exponent) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
      return OpenSslError("building an RSA public key");
    return FromParams("RSA", bld.get());
  }
  return Internal("the TPM object is not a key pair");
}

}  // namespace edgesec::keyd::engines::tpm

#include "keyd/server/parameters.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>

#include "common/base64.hpp"

namespace edgesec::keyd {
namespace {

Expected<std::string> BigEndian(EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) return OpenSslError("cannot read RSA parameter");
  BignumPtr owned(bn);
  Bytes out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return Base64Encode(out);
}

Expected<std::string> CurveOid(EVP_PKEY* key, int type) {
  int nid = NID_ED25519;
  if (type == EVP_PKEY_EC) {
    char curve[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
                                       &len) != 1)
      return OpenSslError("cannot read the EC curve");
    nid = OBJ_txt2nid(curve);
  }
  const ASN1_OBJECT* obj = OBJ_nid2obj(nid);
  unsigned char* der = nullptr;
  int len = obj ? i2d_ASN1_OBJECT(obj, &der) : -1;
  if (len <= 0) return OpenSslError("cannot encode the curve OID");
  std::string out = Base64Encode(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Expected<std::string> Point(EVP_PKEY* key, int type) {
  if (type == EVP_PKEY_ED25519) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1)
      return OpenSslError("cannot read the Ed25519 key");
    return Base64Encode(raw, len);
  }
  unsigned char buf[256];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof buf,
                                      &len) != 1)
    return OpenSslError("cannot read the EC point");
  return Base64Encode(buf, len);
}

Error Unfit(const std::string& name) {
  return InvalidParameter("parameter '" + name + "' does not exist for this key type");
}

}  // namespace

Expected<std::string> PublicParameter(const Bytes& spki, const std::string& name) {
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr key, PublicKeyFromSpkiDer(spki));
  int type = EVP_PKEY_get_base_id(key.get());
  bool ec = type == EVP_PKEY_EC, rsa = type == EVP_PKEY_RSA, ed = type == EVP_PKEY_ED25519;
  if (name == "algorithm") return std::string(ec ? "ECDSA" : rsa ? "RSA" : "EdDSA");
  if (name == "ec-curve-oid")
    return (ec || ed) ? CurveOid(key.get(), type) : Expected<std::string>(Unfit(name));
  if (name == "ec-point")
    return (ec || ed) ? Point(key.get(), type) : Expected<std::string>(Unfit(name));
  if (name == "rsa-modulus")
    return rsa ? BigEndian(key.get(), OSSL_PKEY_PARAM_RSA_N) : Expected<std::string>(Unfit(name));
  if (name == "rsa-exponent")
    return rsa ? BigEndian(key.get(), OSSL_PKEY_PARAM_RSA_E) : Expected<std::string>(Unfit(name));
  return InvalidParameter("unknown parameter '" + name.substr(0, 32) +
                          "'; use algorithm, ec-curve-oid, ec-point, rsa-modulus, rsa-exponent, "
                          "engine or security-level");
}

}  // namespace edgesec::keyd

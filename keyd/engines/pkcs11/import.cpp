// PKCS#8 key pairs imported onto the token with C_CreateObject: a private key object and its public
// key object, both labelled with the key id (libp11 0.4.12 cannot import EC keys; this path does
// both).
#include <openssl/core_names.h>

#include "keyd/engines/pkcs11/operations.hpp"

namespace edgesec::keyd::engines::pkcs11 {
namespace {

ck_attribute Attr(unsigned long type, const void* data, size_t len) {
  return ck_attribute{type, const_cast<void*>(data), len};
}

const unsigned char kTrue = 1;
const unsigned char kFalse = 0;

// A big-endian number of an OpenSSL key; wiped when the Secret goes.
Expected<Secret> BigParam(EVP_PKEY* key, const char* name, size_t pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
    return OpenSslError(std::string("reading ") + name);
  size_t len = pad != 0 ? pad : static_cast<size_t>(BN_num_bytes(bn));
  Secret out(len);
  int written = BN_bn2binpad(bn, out.data(), static_cast<int>(len));
  BN_clear_free(bn);
  if (written < 0) return InvalidParameter(std::string("the key's ") + name + " does not fit");
  return out;
}

struct Templates {
  std::vector<ck_attribute> priv, pub;
  std::vector<Secret> keep;  // storage the attributes point into
  Bytes ec_params, ec_point;
  unsigned long key_type = 0;
  unsigned long priv_class = CKO_PRIVATE_KEY, pub_class = CKO_PUBLIC_KEY;
};

Status FillEc(EVP_PKEY* key, const std::string& algorithm, Templates* t) {
  size_t field = algorithm == "ec-p256" ? 32 : 48;
  t->key_type = CKK_EC;
  t->ec_params = EcParamsFor(algorithm);
  EDGESEC_ASSIGN_OR_RETURN(Secret scalar, BigParam(key, OSSL_PKEY_PARAM_PRIV_KEY, field));
  t->keep.push_back(std::move(scalar));
  unsigned char point[1 + 2 * 66];
  size_t point_len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                      &point_len) != 1)
    return OpenSslError("reading the EC public point");
  t->ec_point = {
      0x04, static_cast<unsigned char>(point_len)};  // DER OCTET STRING (< 128 bytes for P-384)
  t->ec_point.insert(t->ec_point.end(), point, point + point_len);
  t->priv.push_back(Attr(CKA_EC_PARAMS, t->ec_params.data(), t->ec_params.size()));
  t->priv.push_back(Attr(CKA_VALUE, t->keep.back().data(), t->keep.back().size()));
  t->pub.push_back(Attr(CKA_EC_PARAMS, t->ec_params.data(), t->ec_params.size()));
  t->pub.push_back(Attr(CKA_EC_POINT, t->ec_point.data(), t->ec_point.size()));
  return {};
}

Status FillRsa(EVP_PKEY* key, Templates* t) {
  t->key_type = CKK_RSA;
  const std::pair<const char*, unsigned long> parts[] = {
      {OSSL_PKEY_PARAM_RSA_N, CKA_MODULUS},
      {OSSL_PKEY_PARAM_RSA_E, CKA_PUBLIC_EXPONENT},
      {OSSL_PKEY_PARAM_RSA_D, CKA_PRIVATE_EXPONENT},
      {OSSL_PKEY_PARAM_RSA_FACTOR1, CKA_PRIME_1},
      {OSSL_PKEY_PARAM_RSA_FACTOR2, CKA_PRIME_2},
      {OSSL_PKEY_PARAM_RSA_EXPONENT1, CKA_EXPONENT_1},
      {OSSL_PKEY_PARAM_RSA_EXPONENT2, CKA_EXPONENT_2},
      {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, CKA_COEFFICIENT}};
  t->keep.reserve(8);
  for (const auto& [name, type] : parts) {
    EDGESEC_ASSIGN_OR_RETURN(Secret v, BigParam(key, name));
    t->keep.push_back(std::move(v));
    t->priv.push_back(Attr(type, t->keep.back().data(), t->keep.back().size()));
    if (type == CKA_MODULUS || type == CKA_PUBLIC_EXPONENT)
      t->pub.push_back(Attr(type, t->keep.back().data(), t->keep.back().size()));
  }
  t->priv.push_back(Attr(CKA_DECRYPT, &kTrue, 1));
  t->pub.push_back(Attr(CKA_ENCRYPT, &kTrue, 1));
  return {};
}

}  // namespace

Status ImportKeyPair(Context& ctx, const std::string& key_id, EVP_PKEY* key) {
  std::string algorithm;
  int type = EVP_PKEY_get_base_id(key);
  if (type == EVP_PKEY_EC) {
    char curve[64] = {};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &len);
    std::string c(curve);
    if (c == "prime256v1" || c == "P-256")
      algorithm = "ec-p256";
    else if (c == "secp384r1" || c == "P-384")
      algorithm = "ec-p384";
    else
      return InvalidParameter("EC keys on curve '" + c + "' are not supported; use P-256 or P-384");
  } else if (type == EVP_PKEY_RSA) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits != 2048 && bits != 3072 && bits != 4096)
      return InvalidParameter("RSA keys of " + std::to_string(bits) +
                              " bits are not supported; use 2048, 3072 or 4096");
  } else {
    return InvalidParameter(
        "this key type is not supported on a PKCS#11 token; use EC P-256/P-384 or RSA");
  }
  Templates t;
  Context::Where where = ctx.KeyPairAt(key_id);
  const std::string& label = *where.locator.label;
  const Bytes& id = *where.locator.id;
  auto common = [&](std::vector<ck_attribute>& v, unsigned long* cls) {
    v.push_back(Attr(CKA_CLASS, cls, sizeof *cls));
    v.push_back(Attr(CKA_KEY_TYPE, &t.key_type, sizeof t.key_type));
    v.push_back(Attr(CKA_TOKEN, &kTrue, 1));
    v.push_back(Attr(CKA_LABEL, label.data(), label.size()));
    v.push_back(Attr(CKA_ID, id.data(), id.size()));
  };
  EDGESEC_TRY(type == EVP_PKEY_EC ? FillEc(key, algorithm, &t) : FillRsa(key, &t));
  common(t.priv, &t.priv_class);
  common(t.pub, &t.pub_class);
  for (const auto& a : {Attr(CKA_PRIVATE, &kTrue, 1), Attr(CKA_SENSITIVE, &kTrue, 1),
                        Attr(CKA_EXTRACTABLE, &kFalse, 1), Attr(CKA_SIGN, &kTrue, 1)})
    t.priv.push_back(a);
  t.pub.push_back(Attr(CKA_PRIVATE, &kFalse, 1));
  t.pub.push_back(Attr(CKA_VERIFY, &kTrue, 1));

  auto done = where.token->Run<bool>([&](const Call& c) -> Expected<bool> {
    EDGESEC_ASSIGN_OR_RETURN(auto old_priv, FindObjects(c, CKO_PRIVATE_KEY, where.locator));
    EDGESEC_ASSIGN_OR_RETURN(auto old_pub, FindObjects(c, CKO_PUBLIC_KEY, where.locator));
    ck_object_handle_t priv = 0, pub = 0;
    EDGESEC_TRY(Check(c.f.C_CreateObject(c.session, t.priv.data(), t.priv.size(), &priv),
                      "importing the private key"));
    if (Status st = Check(c.f.C_CreateObject(c.session, t.pub.data(), t.pub.size(), &pub),
                          "importing the public key");
        !st) {
      c.f.C_DestroyObject(c.session, priv);
      return st.error();
    }
    DestroyAll(c, old_priv);
    DestroyAll(c, old_pub);
    return true;
  });
  ctx.Forget(key_id);
  if (!done) return done.error();
  return {};
}

}  // namespace edgesec::keyd::engines::pkcs11

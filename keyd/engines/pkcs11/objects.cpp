#include "keyd/engines/pkcs11/objects.hpp"

#include <openssl/core_names.h>

namespace edgesec::keyd::engines::pkcs11 {
namespace {

const Bytes kP256 = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const Bytes kP384 = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

ck_attribute Attr(unsigned long type, const void* data, size_t len) {
  return ck_attribute{type, const_cast<void*>(data), len};
}

// CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40); some tokens give the bare
// point.
Bytes BarePoint(const Bytes& ec_point) {
  if (ec_point.size() > 2 && ec_point[0] == 0x04) {
    size_t len = ec_point[1], header = 2;
    if (len == 0x81 && ec_point.size() > 3) len = ec_point[2], header = 3;
    if (header + len == ec_point.size() && len > 0 &&
        (ec_point[header] == 0x04 || ec_point[header] == 0x02 || ec_point[header] == 0x03))
      return Bytes(ec_point.begin() + static_cast<long>(header), ec_point.end());
  }
  return ec_point;
}

Expected<Bytes> EcSpki(const std::string& algorithm, const Bytes& point) {
  const char* group = algorithm == "ec-p256" ? "P-256" : "P-384";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<unsigned char*>(point.data()), point.size()),
      OSSL_PARAM_construct_end()};
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    return OpenSslError("the token's EC public key is not a valid point");
  EvpPkeyPtr owned(key);
  return PublicKeyToSpkiDer(owned.get());
}

Expected<Bytes> RsaSpki(const Bytes& modulus, const Bytes& exponent) {
  BignumPtr n(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
  BignumPtr e(BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), nullptr));
  UniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return OpenSslError("building the RSA public key");
  UniquePtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return OpenSslError("the token's RSA public key is not valid");
  EvpPkeyPtr owned(key);
  return PublicKeyToSpkiDer(owned.get());
}

}  // namespace

Bytes CkaIdForKeyId(const std::string& key_id) {
  Bytes digest = Sha256(key_id);
  return Bytes(digest.begin(), digest.begin() + 16);
}

Locator LocatorForKeyId(const std::string& key_id) {
  return Locator{key_id, CkaIdForKeyId(key_id)};
}

Bytes EcParamsFor(const std::string& algorithm) {
  return algorithm == "ec-p384" ? kP384 : kP256;
}

Expected<std::vector<ck_object_handle_t>> FindObjects(const Call& c, unsigned long object_class,
                                                      const Locator& where) {
  std::vector<ck_attribute> tmpl = {Attr(CKA_CLASS, &object_class, sizeof object_class)};
  if (where.label) tmpl.push_back(Attr(CKA_LABEL, where.label->data(), where.label->size()));
  if (where.id) tmpl.push_back(Attr(CKA_ID, where.id->data(), where.id->size()));
  EDGESEC_TRY(
      Check(c.f.C_FindObjectsInit(c.session, tmpl.data(), tmpl.size()), "C_FindObjectsInit"));
  std::vector<ck_object_handle_t> out;
  for (;;) {
    ck_object_handle_t batch[64];
    unsigned long n = 0;
    Status st = Check(c.f.C_FindObjects(c.session, batch, 64, &n), "C_FindObjects");
    if (!st) {
      c.f.C_FindObjectsFinal(c.session);
      return st.error();
    }
    out.insert(out.end(), batch, batch + n);
    if (n < 64) break;
  }
  EDGESEC_TRY(Check(c.f.C_FindObjectsFinal(c.session), "C_FindObjectsFinal"));
  return out;
}

Expected<Bytes> GetAttribute(const Call& c, ck_object_handle_t object, unsigned long type) {
  ck_attribute a = Attr(type, nullptr, 0);
  ck_rv_t rv = c.f.C_GetAttributeValue(c.session, object, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
      a.value_len == static_cast<unsigned long>(-1))
    return NotFound("the object has no readable attribute 0x" + std::to_string(type));
  EDGESEC_TRY(Check(rv, "C_GetAttributeValue"));
  Bytes out(a.value_len);
  a.value = out.data();
  EDGESEC_TRY(Check(c.f.C_GetAttributeValue(c.session, object, &a, 1), "C_GetAttributeValue"));
  out.resize(a.value_len);
  return out;
}

Expected<unsigned long> GetUlong(const Call& c, ck_object_handle_t object, unsigned long type) {
  unsigned long v = 0;
  ck_attribute a = Attr(type, &v, sizeof v);
  EDGESEC_TRY(Check(c.f.C_GetAttributeValue(c.session, object, &a, 1), "C_GetAttributeValue"));
  return v;
}

bool GetBool(const Call& c, ck_object_handle_t object, unsigned long type) {
  unsigned char v = 0;
  ck_attribute a = Attr(type, &v, sizeof v);
  return c.f.C_GetAttributeValue(c.session, object, &a, 1) == CKR_OK && v != 0;
}

Expected<PrivateKey> DescribePrivateKey(const Call& c, ck_object_handle_t handle) {
  PrivateKey k;
  k.handle = handle;
  k.generation = c.generation;
  EDGESEC_ASSIGN_OR_RETURN(k.key_type, GetUlong(c, handle, CKA_KEY_TYPE));
  if (k.key_type == CKK_EC) {
    EDGESEC_ASSIGN_OR_RETURN(Bytes params, GetAttribute(c, handle, CKA_EC_PARAMS));
    if (params == kP256)
      k.algorithm = "ec-p256", k.size = 32;
    else if (params == kP384)
      k.algorithm = "ec-p384", k.size = 48;
    else
      return InvalidParameter(
          "the token key is on a curve keyd does not offer; use P-256 or P-384");
    return k;
  }
  if (k.key_type == CKK_RSA) {
    EDGESEC_ASSIGN_OR_RETURN(Bytes modulus, GetAttribute(c, handle, CKA_MODULUS));
    size_t skip = 0;
    while (skip < modulus.size() && modulus[skip] == 0) ++skip;
    k.size = modulus.size() - skip;
    size_t bits = k.size * 8;
    if (bits != 2048 && bits != 3072 && bits != 4096)
      return InvalidParameter("RSA keys of " + std::to_string(bits) +
                              " bits are not supported; use 2048, 3072 or 4096");
    k.algorithm = "rsa-" + std::to_string(bits);
    return k;
  }
  return InvalidParameter("the token key is of a type keyd does not offer (only EC and RSA)");
}

Error NotFoundOnToken(const Call& c, const std::string& what) {
  bool empty = false;
  if (c.f.C_FindObjectsInit(c.session, nullptr, 0) == CKR_OK) {
    ck_object_handle_t any = 0;
    unsigned long n = 0;
    empty = c.f.C_FindObjects(c.session, &any, 1, &n) == CKR_OK && n == 0;
    c.f.C_FindObjectsFinal(c.session);
  }
  if (empty) (void)Check(CKR_TOKEN_NOT_PRESENT, "the token holds no objects");
  return NotFound(what + " does not exist");
}

Expected<PrivateKey> FindPrivateKey(const Call& c, const Locator& where, const std::string& what) {
  EDGESEC_ASSIGN_OR_RETURN(auto found, FindObjects(c, CKO_PRIVATE_KEY, where));
  if (found.empty()) return NotFoundOnToken(c, what);
  if (found.size() > 1)
    return InvalidParameter(what + " is ambiguous: " + std::to_string(found.size()) +
                            " private keys on the token match; give its URI both object= and id=");
  return DescribePrivateKey(c, found[0]);
}

Expected<Bytes> PublicKeySpki(const Call& c, const PrivateKey& key, const Locator& where) {
  Locator pub_where = where;
  if (auto id = GetAttribute(c, key.handle, CKA_ID); id && !id->empty())
    pub_where = Locator{std::nullopt, *id};
  EDGESEC_ASSIGN_OR_RETURN(auto pubs, FindObjects(c, CKO_PUBLIC_KEY, pub_where));
  ck_object_handle_t from = pubs.size() == 1 ? pubs[0] : key.handle;
  if (key.key_type == CKK_EC) {
    auto point = GetAttribute(c, from, CKA_EC_POINT);
    if (!point)
      return Internal("the token has no public key (CKA_EC_POINT) for this EC private key");
    return EcSpki(key.algorithm, BarePoint(*point));
  }
  EDGESEC_ASSIGN_OR_RETURN(Bytes modulus, GetAttribute(c, from, CKA_MODULUS));
  EDGESEC_ASSIGN_OR_RETURN(Bytes exponent, GetAttribute(c, from, CKA_PUBLIC_EXPONENT));
  return RsaSpki(modulus, exponent);
}

Status Relabel(const Call& c, ck_object_handle_t object, const std::string& label,
               const Bytes& id) {
  ck_attribute attrs[] = {Attr(CKA_LABEL, label.data(), label.size()),
                          Attr(CKA_ID, id.data(), id.size())};
  return Check(c.f.C_SetAttributeValue(c.session, object, attrs, 2), "C_SetAttributeValue");
}

}  // namespace edgesec::keyd::engines::pkcs11

#define OPENSSL_SUPPRESS_DEPRECATED 1  // EC_KEY, RSA: see PublicKeyForEncoding
#include "common/x509/csr.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

namespace edgesec::x509 {
namespace {

const EVP_MD* DigestFor(const CsrAttrs* attrs, EVP_PKEY* key) {
  if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519) return nullptr;
  if (attrs != nullptr && !attrs->digest.empty()) {
    if (const EVP_MD* md = EVP_get_digestbyname(attrs->digest.c_str())) return md;
  }
  return EVP_sha256();
}

// The public half of an EC or RSA `key` as a legacy key built from its parameters, or null for
// other types and keys whose provider does not give them (keyd's remote keys may not). Setting a
// CSR's key from a provider key encodes it through OpenSSL 3's encoder and decodes the result again
// through its decoder — two provider lookups, ~0.3 ms, more than the key generation; a legacy key
// is encoded by its ASN.1 method, ~10 us, into the same SubjectPublicKeyInfo.
EvpPkeyPtr PublicKeyForEncoding(EVP_PKEY* key) {
  EvpPkeyPtr out(EVP_PKEY_new());
  if (!out) return nullptr;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[80] = {};
    unsigned char point[256];
    size_t group_len = 0, point_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &group_len) != 1 ||
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                        &point_len) != 1)
      return nullptr;
    int nid = OBJ_txt2nid(group);
    if (nid == NID_undef) nid = EC_curve_nist2nid(group);
    EC_KEY* ec = nid == NID_undef ? nullptr : EC_KEY_new_by_curve_name(nid);
    if (ec == nullptr || EC_KEY_oct2key(ec, point, point_len, nullptr) != 1 ||
        EVP_PKEY_assign_EC_KEY(out.get(), ec) != 1) {
      EC_KEY_free(ec);
      return nullptr;
    }
    return out;
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    RSA* rsa = RSA_new();
    if (rsa == nullptr || EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
        RSA_set0_key(rsa, n, e, nullptr) != 1) {
      BN_free(n);
      BN_free(e);
      RSA_free(rsa);
      return nullptr;
    }
    if (EVP_PKEY_assign_RSA(out.get(), rsa) != 1) {
      RSA_free(rsa);
      return nullptr;
    }
    return out;
  }
  return nullptr;
}

Status SetPublicKey(X509_REQ* req, EVP_PKEY* key) {
  ERR_set_mark();
  EvpPkeyPtr encodable = PublicKeyForEncoding(key);
  bool set = encodable && X509_REQ_set_pubkey(req, encodable.get()) == 1;
  ERR_pop_to_mark();  // a key whose provider keeps its parameters: the long way, below
  if (set || X509_REQ_set_pubkey(req, key) == 1) return {};
  return OpenSslError("setting the CSR's public key");
}

Status AddAttrsAndSign(X509_REQ* req, EVP_PKEY* key, UniquePtr<STACK_OF(X509_EXTENSION)>& exts,
                       const CsrAttrs* attrs, const Secret* challenge) {
  if (attrs != nullptr) {
    for (const Bytes& der : attrs->requested_extensions) {
      const unsigned char* p = der.data();
      X509_EXTENSION* ext = d2i_X509_EXTENSION(nullptr, &p, static_cast<long>(der.size()));
      if (ext == nullptr) return OpenSslError("requested extension from /csrattrs is malformed");
      // A SAN we already have wins over the server's template.
      if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_subject_alt_name &&
          X509v3_get_ext_by_NID(exts.get(), NID_subject_alt_name, -1) >= 0) {
        X509_EXTENSION_free(ext);
        continue;
      }
      sk_X509_EXTENSION_push(exts.get(), ext);
    }
  }
  if (sk_X509_EXTENSION_num(exts.get()) > 0 && X509_REQ_add_extensions(req, exts.get()) != 1)
    return OpenSslError("adding extensions to the CSR");
  if (challenge != nullptr && !challenge->empty()) {
    if (X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                  challenge->data(), static_cast<int>(challenge->size())) != 1)
      return OpenSslError("adding challengePassword to the CSR");
  }
  if (X509_REQ_set_version(req, 0) != 1) return OpenSslError("setting the CSR's version");
  EDGESEC_TRY(SetPublicKey(req, key));
  if (X509_REQ_sign(req, key, DigestFor(attrs, key)) <= 0) return OpenSslError("signing the CSR");
  return {};
}

}  // namespace

Expected<X509ReqPtr> BuildCsr(const CsrSpec& spec) {
  if (spec.key == nullptr) return InvalidParameter("CSR without a key");
  if (spec.subject.empty() && spec.sans.empty())
    return InvalidParameter("CSR without a subject or a SAN");
  X509ReqPtr req(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  for (const auto& [field, value] : spec.subject) {
    if (X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                   0) != 1) {
      ERR_clear_error();
      return InvalidParameter("subject field '" + field + "' is not valid");
    }
  }
  UniquePtr<STACK_OF(X509_EXTENSION)> exts(sk_X509_EXTENSION_new_null());
  if (!spec.sans.empty()) {
    std::string list;
    for (const auto& s : spec.sans) list += (list.empty() ? "" : ",") + s;
    X509_EXTENSION* san =
        X509V3_EXT_nconf_nid(nullptr, nullptr, NID_subject_alt_name, list.c_str());
    if (san == nullptr) {
      ERR_clear_error();
      return InvalidParameter("subjectAltName '" + list + "' is not valid");
    }
    sk_X509_EXTENSION_push(exts.get(), san);
  }
  const Secret* challenge = spec.challenge_password ? &*spec.challenge_password : nullptr;
  EDGESEC_TRY(AddAttrsAndSign(req.get(), spec.key, exts, spec.attrs, challenge));
  return req;
}

Expected<X509ReqPtr> BuildReenrollCsr(X509* current, EVP_PKEY* key, const CsrAttrs* attrs,
                                      const Secret* challenge_password) {
  if (current == nullptr || key == nullptr)
    return InvalidParameter("re-enrollment needs the current cert and a key");
  X509ReqPtr req(X509_REQ_new());
  if (X509_REQ_set_subject_name(req.get(), X509_get_subject_name(current)) != 1)
    return OpenSslError("copying the subject");
  UniquePtr<STACK_OF(X509_EXTENSION)> exts(sk_X509_EXTENSION_new_null());
  int at = X509_get_ext_by_NID(current, NID_subject_alt_name, -1);
  if (at >= 0) {
    X509_EXTENSION* san = X509_EXTENSION_dup(X509_get_ext(current, at));
    if (san == nullptr) return OpenSslError("copying the subjectAltName");
    sk_X509_EXTENSION_push(exts.get(), san);
  }
  EDGESEC_TRY(AddAttrsAndSign(req.get(), key, exts, attrs, challenge_password));
  return req;
}

Expected<EvpPkeyPtr> GenerateKeyFor(const CsrAttrs* attrs) {
  EVP_PKEY* key = nullptr;
  if (attrs != nullptr && attrs->key_type == EVP_PKEY_RSA) {
    unsigned bits = attrs->rsa_bits >= 2048 ? static_cast<unsigned>(attrs->rsa_bits) : 2048u;
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  } else {
    std::string curve = attrs != nullptr && !attrs->curve.empty() ? attrs->curve : "prime256v1";
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str());
  }
  if (key == nullptr) return OpenSslError("generating a key");
  return EvpPkeyPtr(key);
}

bool KeyMatchesAttrs(EVP_PKEY* key, const CsrAttrs& attrs) {
  if (attrs.key_type && EVP_PKEY_get_base_id(key) != *attrs.key_type) return false;
  if (!attrs.curve.empty()) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1) {
      ERR_clear_error();
      return false;
    }
    int want = OBJ_sn2nid(attrs.curve.c_str());
    int have = OBJ_sn2nid(group);
    if (have == NID_undef) have = EC_curve_nist2nid(group);
    return want == have;
  }
  if (attrs.rsa_bits > 0 && EVP_PKEY_get_bits(key) < attrs.rsa_bits) return false;
  return true;
}

}  // namespace edgesec::x509

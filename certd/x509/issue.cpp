#define OPENSSL_SUPPRESS_DEPRECATED 1  // d2i_EC_PUBKEY, d2i_RSA_PUBKEY: see SetSubjectKey
#include "certd/x509/issue.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "common/x509/validate.hpp"

namespace edgesec::certd::x509 {
namespace {

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : ",") + w;
  return s;
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  UniquePtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return OpenSslError(std::string("cannot add the ") + OBJ_nid2sn(nid) + " extension '" + value +
                        "'");
  return {};
}

Status CopySans(X509* cert, X509_REQ* csr) {
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(csr);
  if (exts == nullptr) {
    DrainOpenSslErrors();
    return {};
  }
  Status st;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
    X509_EXTENSION* e = sk_X509_EXTENSION_value(exts, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) != NID_subject_alt_name) continue;
    if (X509_add_ext(cert, e, -1) != 1) st = OpenSslError("cannot copy the CSR's subjectAltName");
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return st;
}

Status AddProfileExtensions(X509* cert, X509* issuer, X509_REQ* csr, const Profile& p) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  std::string bc = p.ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
  if (p.ca && p.pathlen) bc += ",pathlen:" + std::to_string(*p.pathlen);
  EDGESEC_TRY(AddExtension(cert, &ctx, NID_basic_constraints, bc));
  if (!p.key_usage.empty())
    EDGESEC_TRY(AddExtension(cert, &ctx, NID_key_usage, "critical," + Join(p.key_usage)));
  if (!p.extended_key_usage.empty())
    EDGESEC_TRY(AddExtension(cert, &ctx, NID_ext_key_usage, Join(p.extended_key_usage)));
  EDGESEC_TRY(AddExtension(cert, &ctx, NID_subject_key_identifier, "hash"));
  EDGESEC_TRY(AddExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (p.san_policy == SanPolicy::kCopyFromCsr) EDGESEC_TRY(CopySans(cert, csr));
  return {};
}

// Sets the cert's key to the CSR's. X509_set_pubkey with the CSR's key as parsed (a provider key)
// encodes it through OpenSSL 3's encoder and decodes the result again through its decoder: two
// provider lookups, the larger part of an issuance's CPU (OpenSSL 3.0 caches neither). An EC or
// RSA key read from the CSR's SubjectPublicKeyInfo by the legacy routines is encoded by its
// ASN.1 method instead, with the same bytes; the cert keeps it as its decoded key, so
// X509_get0_pubkey on the result works as before. Other key types go the long way.
bool SetSubjectKey(X509* cert, X509_REQ* csr, EVP_PKEY* subject_key) {
  int type = EVP_PKEY_get_base_id(subject_key);
  X509_PUBKEY* spki = X509_REQ_get_X509_PUBKEY(csr);
  unsigned char* der = nullptr;
  int len = spki != nullptr && (type == EVP_PKEY_EC || type == EVP_PKEY_RSA)
                ? i2d_X509_PUBKEY(spki, &der)
                : 0;
  EvpPkeyPtr legacy;
  if (len > 0) {
    const unsigned char* p = der;
    legacy.reset(EVP_PKEY_new());
    if (type == EVP_PKEY_EC) {
      EC_KEY* ec = d2i_EC_PUBKEY(nullptr, &p, len);
      if (!legacy || ec == nullptr || EVP_PKEY_assign_EC_KEY(legacy.get(), ec) != 1) {
        EC_KEY_free(ec);
        legacy.reset();
      }
    } else {
      RSA* rsa = d2i_RSA_PUBKEY(nullptr, &p, len);
      if (!legacy || rsa == nullptr || EVP_PKEY_assign_RSA(legacy.get(), rsa) != 1) {
        RSA_free(rsa);
        legacy.reset();
      }
    }
  }
  OPENSSL_free(der);
  if (legacy && X509_set_pubkey(cert, legacy.get()) == 1) return true;
  ERR_clear_error();
  return X509_set_pubkey(cert, subject_key) == 1;
}

}  // namespace

Expected<X509ReqPtr> VerifiedCsr(std::string_view pem) {
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, edgesec::x509::ParseCsrPem(pem));
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr.get());
  if (key == nullptr) {
    DrainOpenSslErrors();
    return InvalidParameter("the CSR's public key cannot be read");
  }
  if (X509_REQ_verify(csr.get(), key) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter(
        "CSR signature does not verify: the CSR was not signed by the key it carries");
  }
  return csr;
}

Expected<Bytes> RandomSerial() {
  Bytes serial(16);
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1)
    return OpenSslError("no randomness");
  serial[0] &= 0x7f;  // positive, so DER needs no leading zero byte
  serial[0] |= 0x40;  // exactly 16 bytes in DER, and never 0
  return serial;
}

Expected<X509Ptr> IssueCertificate(const IssueInput& in) {
  const Profile& p = *in.profile;
  EVP_PKEY* subject_key = X509_REQ_get0_pubkey(in.csr);
  if (subject_key == nullptr) return InvalidParameter("the CSR's public key cannot be read");
  if (in.issuer_cert == nullptr) {
    if (EVP_PKEY_eq(subject_key, in.signing_key) != 1) {
      DrainOpenSslErrors();
      return InvalidParameter(
          "key does not match: a self-signed certificate needs a CSR of the credential's own key");
    }
  } else {
    if (Status ca = edgesec::x509::CheckIssuingCa(in.issuer_cert); !ca)
      return ca.error().Context("issuer certificate");
    if (EVP_PKEY_eq(X509_get0_pubkey(in.issuer_cert), in.signing_key) != 1) {
      DrainOpenSslErrors();
      return InvalidParameter(
          "key does not match: the issuer key is not the key of the issuer certificate");
    }
  }
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return OpenSslError("cannot create a certificate");
  EDGESEC_ASSIGN_OR_RETURN(Bytes serial, RandomSerial());
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr)
    return OpenSslError("cannot set the serial number");
  X509_NAME* subject = X509_REQ_get_subject_name(in.csr);
  if (X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(),
                           in.issuer_cert ? X509_get_subject_name(in.issuer_cert) : subject) != 1 ||
      !SetSubjectKey(cert.get(), in.csr, subject_key))
    return OpenSslError("cannot set names and key");
  int64_t not_after = in.now + static_cast<int64_t>(p.validity_days) * 86400;
  if (in.not_after != 0) {
    if (in.not_after <= in.now)
      return InvalidParameter("parameter 'notAfter': " + edgesec::x509::Rfc3339(in.not_after) +
                              " is not in the future");
    not_after = std::min(not_after, in.not_after);
  }
  if (in.issuer_cert != nullptr) {
    EDGESEC_ASSIGN_OR_RETURN(int64_t issuer_end,
                             edgesec::x509::ToEpoch(X509_get0_notAfter(in.issuer_cert)));
    if (issuer_end <= in.now)
      return InvalidParameter("expired: the issuer certificate expired on " +
                              edgesec::x509::Rfc3339(issuer_end))
          .WithReason(ErrorReason::kIssuerExpired);
    not_after = std::min(not_after, issuer_end);
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(in.now)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after)) == nullptr)
    return OpenSslError("cannot set the validity");
  EDGESEC_TRY(AddProfileExtensions(cert.get(), in.issuer_cert, in.csr, p));
  int base = EVP_PKEY_get_base_id(in.signing_key);
  const EVP_MD* md = (base == EVP_PKEY_ED25519 || base == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), in.signing_key, md) <= 0)
    return OpenSslError("signing the certificate failed");
  return cert;
}

}  // namespace edgesec::certd::x509

#include "common/x509/validate.hpp"

namespace edgesec::x509 {
namespace {

std::string Who(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return std::string("'") + buf + "'";
}

}  // namespace

Status CheckValidity(X509* cert, int64_t now) {
  EDGESEC_ASSIGN_OR_RETURN(int64_t not_before, ToEpoch(X509_get0_notBefore(cert)));
  EDGESEC_ASSIGN_OR_RETURN(int64_t not_after, ToEpoch(X509_get0_notAfter(cert)));
  if (now > not_after + kClockSkewSeconds)
    return InvalidParameter("expired: certificate " + Who(cert) + " expired on " +
                            Rfc3339(not_after));
  if (now + kClockSkewSeconds < not_before)
    return InvalidParameter("not yet valid: certificate " + Who(cert) + " is valid from " +
                            Rfc3339(not_before));
  return {};
}

Status CheckKeyStrength(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) {
    DrainOpenSslErrors();
    return InvalidParameter("garbage: certificate " + Who(cert) + " has an unreadable public key");
  }
  int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      if (bits < 2048)
        return InvalidParameter("key too small: certificate " + Who(cert) + " has an RSA key of " +
                                std::to_string(bits) + " bits; at least 2048 are needed");
      break;
    case EVP_PKEY_EC:
      if (bits < 256)
        return InvalidParameter("key too small: certificate " + Who(cert) + " has an EC key of " +
                                std::to_string(bits) + " bits; at least 256 are needed");
      break;
    default:
      break;  // Ed25519 and Ed448 have fixed, adequate sizes
  }
  return {};
}

Status CheckIssuingCa(X509* cert) {
  uint32_t flags = X509_get_extension_flags(cert);
  if ((flags & EXFLAG_INVALID) != 0)
    return InvalidParameter("garbage: certificate " + Who(cert) + " has invalid extensions");
  if ((flags & EXFLAG_CA) == 0)
    return InvalidParameter("not a CA: certificate " + Who(cert) +
                            " lacks basicConstraints CA:TRUE");
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0)
    return InvalidParameter("not a CA: certificate " + Who(cert) +
                            " has a keyUsage without keyCertSign");
  return {};
}

Status CheckIssued(X509* issuer, X509* subject, size_t position) {
  std::string where = "certificate " + std::to_string(position + 1) + " of the chain " + Who(issuer);
  int names = X509_check_issued(issuer, subject);
  if (names != X509_V_OK && names != X509_V_ERR_KEYUSAGE_NO_CERTSIGN) {
    DrainOpenSslErrors();
    return InvalidParameter("chain does not link: " + where + " did not issue the certificate before it " +
                            Who(subject) + " (" + X509_verify_cert_error_string(names) + ")");
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (key == nullptr || X509_verify(subject, key) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter("chain does not link: the signature of " + Who(subject) +
                            " does not verify with the key of " + where);
  }
  return {};
}

Status CheckKeyMatches(X509* cert, EVP_PKEY* key) {
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (pub == nullptr || EVP_PKEY_eq(pub, key) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter("key does not match: the private key is not the key of certificate " +
                            Who(cert));
  }
  return {};
}

Status ValidateForImport(const Chain& chain, int64_t now, EVP_PKEY* key) {
  if (chain.empty()) return InvalidParameter("garbage: no certificate");
  for (const auto& c : chain) {
    EDGESEC_TRY(CheckValidity(c.get(), now));
    EDGESEC_TRY(CheckKeyStrength(c.get()));
  }
  // Every certificate after the leaf issued the one before it: it must be a CA that may sign.
  // (A self-signed root at the end is a trust anchor: old v1 roots carry no extensions at all.)
  for (size_t i = 1; i < chain.size(); ++i) {
    bool anchor = i + 1 == chain.size() &&
                  X509_check_issued(chain[i].get(), chain[i].get()) == X509_V_OK &&
                  X509_get_version(chain[i].get()) == X509_VERSION_1;
    if (!anchor) EDGESEC_TRY(CheckIssuingCa(chain[i].get()));
    EDGESEC_TRY(CheckIssued(chain[i].get(), chain[i - 1].get(), i));
  }
  if (key != nullptr) EDGESEC_TRY(CheckKeyMatches(chain.front().get(), key));
  return {};
}

}  // namespace edgesec::x509

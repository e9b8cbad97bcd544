#pragma once
// Unit tests of certd/x509 and common/x509: keys, CSRs and certificates made at test time with
// certd's own issuance function where that is what is tested, and with plain OpenSSL otherwise.

#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <string>

#include "certd/x509/issue.hpp"
#include "common/ossl.hpp"

namespace edgesec::certd::testing {

inline EvpPkeyPtr Ec(const char* curve = "P-256") {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}
inline EvpPkeyPtr Rsa(unsigned bits) {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

// A CSR for `key` with CN and optional DNS SAN, signed by `signer` (default: `key`).
inline std::string CsrPem(EVP_PKEY* key, const std::string& cn, const std::string& san = "",
                          EVP_PKEY* signer = nullptr) {
  X509ReqPtr req(X509_REQ_new());
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  if (!san.empty()) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(
        exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()));
    X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  REQUIRE(X509_REQ_sign(req.get(), signer ? signer : key, EVP_sha256()) > 0);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Issues with certd's function; `issuer` null: self-signed by `signing_key`.
inline X509Ptr Issue(EVP_PKEY* subject, const std::string& cn, const x509::Profile& p, X509* issuer,
                     EVP_PKEY* signing_key, int64_t now = std::time(nullptr),
                     const std::string& san = "") {
  auto csr = x509::VerifiedCsr(CsrPem(subject, cn, san));
  REQUIRE(csr);
  auto cert = x509::IssueCertificate({csr->get(), issuer, signing_key, &p, now});
  INFO((cert ? std::string() : cert.error().Describe()));
  REQUIRE(cert);
  return std::move(*cert);
}

struct Ca {
  EvpPkeyPtr key = Ec();
  X509Ptr cert;
  explicit Ca(int64_t now = std::time(nullptr), int days = 3650) {
    x509::Profile p = x509::DefaultCaProfile();
    p.validity_days = days;
    cert = Issue(key.get(), "test-ca", p, nullptr, key.get(), now);
  }
};

}  // namespace edgesec::certd::testing

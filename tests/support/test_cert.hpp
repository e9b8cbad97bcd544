#pragma once
// Certificates made with plain OpenSSL for unit tests that need a chain of their own shape (a CA, a
// leaf, validity windows, extensions), not certd's issuance: EC P-256, SHA-256.

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/ossl.hpp"

namespace edgesec::testing {

struct TestCert {
  EvpPkeyPtr key;
  X509Ptr cert;
};

struct TestCertSpec {
  std::string cn;
  const TestCert* issuer = nullptr;  // null: self-signed
  bool ca = false;                   // basicConstraints critical,CA:TRUE (else CA:FALSE)
  long serial = 7;
  long from = -3600, to = 86400;                        // validity, seconds from now
  std::vector<std::pair<int, std::string>> extensions;  // NID and value, after basicConstraints
};

inline void AddTestExtension(X509* cert, X509* signer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, signer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  REQUIRE(e);
  X509_add_ext(cert, e, -1);
  X509_EXTENSION_free(e);
}

inline TestCert MakeTestCert(const TestCertSpec& s) {
  TestCert m{EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")), X509Ptr(X509_new())};
  X509* c = m.cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), s.serial);
  X509_gmtime_adj(X509_getm_notBefore(c), s.from);
  X509_gmtime_adj(X509_getm_notAfter(c), s.to);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(s.cn.c_str()), -1, -1, 0);
  X509* signer = s.issuer ? s.issuer->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(signer));
  X509_set_pubkey(c, m.key.get());
  AddTestExtension(c, signer, NID_basic_constraints, s.ca ? "critical,CA:TRUE" : "CA:FALSE");
  for (const auto& [nid, value] : s.extensions) AddTestExtension(c, signer, nid, value);
  REQUIRE(X509_sign(c, s.issuer ? s.issuer->key.get() : m.key.get(), EVP_sha256()) > 0);
  return m;
}

}  // namespace edgesec::testing

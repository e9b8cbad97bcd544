// certd/x509/issue: the issuance function directly — serials, SKID/AKID, the notAfter cap, CA
// profiles with pathlen, the SAN policy, and refused CSRs and issuers.
#include "certd/x509/issue.hpp"

#include <set>

#include "common/x509/validate.hpp"
#include "tests/support/x509.hpp"

using namespace edgesec;
using namespace edgesec::certd;
using namespace edgesec::certd::testing;

namespace {

std::string Octets(const ASN1_OCTET_STRING* s) {
  REQUIRE(s != nullptr);
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     ASN1_STRING_length(s));
}

int64_t Epoch(const ASN1_TIME* t) {
  return *edgesec::x509::ToEpoch(t);
}

}  // namespace

TEST_CASE("serials are 16 bytes, positive, never 0, and distinct over many issues") {
  Ca ca;
  EvpPkeyPtr leaf_key = Ec();
  certd::x509::Profile p = certd::x509::DefaultLeafProfile();
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    X509Ptr cert = Issue(leaf_key.get(), "leaf", p, ca.cert.get(), ca.key.get());
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
    unsigned char* der = nullptr;
    int len = i2d_ASN1_INTEGER(const_cast<ASN1_INTEGER*>(serial), &der);
    CHECK(len == 18);  // tag, length 16, 16 content bytes: no leading zero, top bit clear
    CHECK(der[1] == 16);
    CHECK((der[2] & 0x80) == 0);
    OPENSSL_free(der);
    BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
    CHECK_FALSE(BN_is_zero(bn.get()));
    seen.insert(Octets(serial));
  }
  CHECK(seen.size() == 200);
  for (int i = 0; i < 1000; ++i) {
    Bytes s = *certd::x509::RandomSerial();
    REQUIRE(s.size() == 16);
    CHECK((s[0] & 0x80) == 0);
    CHECK(s[0] != 0);
  }
}

TEST_CASE("SKID is set and AKID names the issuer's SKID; SHA-256 signature") {
  Ca ca;
  EvpPkeyPtr leaf_key = Ec();
  X509Ptr leaf =
      Issue(leaf_key.get(), "leaf", certd::x509::DefaultLeafProfile(), ca.cert.get(), ca.key.get());
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(leaf.get());
  REQUIRE(skid != nullptr);
  REQUIRE(X509_get0_authority_key_id(leaf.get()) != nullptr);
  CHECK(Octets(X509_get0_authority_key_id(leaf.get())) ==
        Octets(X509_get0_subject_key_id(ca.cert.get())));
  CHECK(Octets(skid) != Octets(X509_get0_subject_key_id(ca.cert.get())));
  CHECK(X509_get_signature_nid(leaf.get()) == NID_ecdsa_with_SHA256);
  CHECK(X509_verify(leaf.get(), ca.key.get()) == 1);
  CHECK(X509_check_issued(ca.cert.get(), leaf.get()) == X509_V_OK);
}

TEST_CASE("notAfter is capped at the issuer's notAfter; an expired issuer is refused") {
  int64_t now = std::time(nullptr);
  Ca ca(now - 86400, 10);  // ends in 9 days
  EvpPkeyPtr leaf_key = Ec();
  X509Ptr leaf =
      Issue(leaf_key.get(), "leaf", certd::x509::DefaultLeafProfile(), ca.cert.get(), ca.key.get(), now);
  CHECK(Epoch(X509_get0_notAfter(leaf.get())) == Epoch(X509_get0_notAfter(ca.cert.get())));
  CHECK(Epoch(X509_get0_notBefore(leaf.get())) == now);

  certd::x509::Profile shorter = certd::x509::DefaultLeafProfile();
  shorter.validity_days = 2;
  X509Ptr short_leaf = Issue(leaf_key.get(), "leaf", shorter, ca.cert.get(), ca.key.get(), now);
  CHECK(Epoch(X509_get0_notAfter(short_leaf.get())) == now + 2 * 86400);

  auto csr = certd::x509::VerifiedCsr(CsrPem(leaf_key.get(), "late"));
  certd::x509::Profile p = certd::x509::DefaultLeafProfile();
  auto late =
      certd::x509::IssueCertificate({csr->get(), ca.cert.get(), ca.key.get(), &p, now + 20 * 86400});
  REQUIRE_FALSE(late);
  CHECK(late.error().kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(late.error().message, Catch::StartsWith("expired"));
}

TEST_CASE("a CA profile gives CA:TRUE with its pathlen and keyCertSign; a leaf profile CA:FALSE") {
  Ca root;
  EvpPkeyPtr sub_key = Ec();
  certd::x509::Profile ca = certd::x509::DefaultCaProfile();
  ca.pathlen = 0;
  X509Ptr sub = Issue(sub_key.get(), "sub-ca", ca, root.cert.get(), root.key.get());
  CHECK((X509_get_extension_flags(sub.get()) & EXFLAG_CA) != 0);
  CHECK(X509_get_pathlen(sub.get()) == 0);
  CHECK((X509_get_key_usage(sub.get()) & KU_KEY_CERT_SIGN) != 0);
  CHECK(edgesec::x509::CheckIssuingCa(sub.get()));

  ca.pathlen = 3;
  CHECK(X509_get_pathlen(
            Issue(sub_key.get(), "sub-ca", ca, root.cert.get(), root.key.get()).get()) == 3);
  ca.pathlen.reset();
  CHECK(X509_get_pathlen(
            Issue(sub_key.get(), "sub-ca", ca, root.cert.get(), root.key.get()).get()) == -1);

  EvpPkeyPtr leaf_key = Ec();
  certd::x509::Profile leaf = certd::x509::DefaultLeafProfile();
  leaf.extended_key_usage = {"clientAuth"};
  X509Ptr cert = Issue(leaf_key.get(), "leaf", leaf, sub.get(), sub_key.get());
  CHECK((X509_get_extension_flags(cert.get()) & EXFLAG_CA) == 0);
  CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT) != 0);
  CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER) == 0);
  CHECK_FALSE(edgesec::x509::CheckIssuingCa(cert.get()));
}

TEST_CASE("the SAN policy copies the CSR's SANs or drops them") {
  Ca ca;
  EvpPkeyPtr key = Ec();
  certd::x509::Profile copy = certd::x509::DefaultLeafProfile();
  X509Ptr with = Issue(key.get(), "leaf", copy, ca.cert.get(), ca.key.get(), std::time(nullptr),
                       "DNS:leaf.example,IP:10.0.0.1");
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(with.get(), NID_subject_alt_name, nullptr, nullptr));
  REQUIRE(sans != nullptr);
  CHECK(sk_GENERAL_NAME_num(sans) == 2);
  GENERAL_NAMES_free(sans);

  certd::x509::Profile none = copy;
  none.san_policy = certd::x509::SanPolicy::kNone;
  X509Ptr without = Issue(key.get(), "leaf", none, ca.cert.get(), ca.key.get(), std::time(nullptr),
                          "DNS:leaf.example");
  CHECK(X509_get_ext_by_NID(without.get(), NID_subject_alt_name, -1) < 0);
}

TEST_CASE("a forged CSR, a non-CA issuer and a mismatched issuer key are refused with the reason") {
  Ca ca;
  EvpPkeyPtr key = Ec(), other = Ec();
  auto forged = certd::x509::VerifiedCsr(CsrPem(key.get(), "leaf", "", other.get()));
  REQUIRE_FALSE(forged);
  CHECK_THAT(forged.error().message, Catch::StartsWith("CSR signature does not verify"));
  CHECK_FALSE(certd::x509::VerifiedCsr("garbage"));

  certd::x509::Profile p = certd::x509::DefaultLeafProfile();
  auto csr = certd::x509::VerifiedCsr(CsrPem(key.get(), "leaf"));
  REQUIRE(csr);
  X509Ptr leaf = Issue(other.get(), "not-a-ca", p, ca.cert.get(), ca.key.get());
  auto by_leaf =
      certd::x509::IssueCertificate({csr->get(), leaf.get(), other.get(), &p, std::time(nullptr)});
  REQUIRE_FALSE(by_leaf);
  CHECK_THAT(by_leaf.error().message, Catch::StartsWith("issuer certificate: not a CA"));
  auto wrong_key =
      certd::x509::IssueCertificate({csr->get(), ca.cert.get(), other.get(), &p, std::time(nullptr)});
  REQUIRE_FALSE(wrong_key);
  CHECK_THAT(wrong_key.error().message, Catch::StartsWith("key does not match"));
  auto self_wrong =
      certd::x509::IssueCertificate({csr->get(), nullptr, other.get(), &p, std::time(nullptr)});
  REQUIRE_FALSE(self_wrong);
  CHECK_THAT(self_wrong.error().message, Catch::StartsWith("key does not match"));
}

TEST_CASE("the cert carries the CSR's public key exactly, for every key type certd issues for") {
  Ca ca;
  std::vector<std::pair<std::string, EvpPkeyPtr>> keys;
  keys.emplace_back("ec-p256", Ec());
  keys.emplace_back("ec-p384", Ec("P-384"));
  keys.emplace_back("rsa-2048", Rsa(2048));
  keys.emplace_back("ed25519", EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")));
  for (auto& [name, key] : keys) {
    INFO(name);
    REQUIRE(key);
    X509Ptr cert;
    if (name != "ed25519") {
      cert =
          Issue(key.get(), "leaf", certd::x509::DefaultLeafProfile(), ca.cert.get(), ca.key.get());
    } else {  // no digest for Ed25519: the CSR is made here
      X509ReqPtr req(X509_REQ_new());
      X509_REQ_set_pubkey(req.get(), key.get());
      REQUIRE(X509_REQ_sign(req.get(), key.get(), nullptr) > 0);
      certd::x509::Profile p = certd::x509::DefaultLeafProfile();
      auto issued = certd::x509::IssueCertificate(
          {req.get(), ca.cert.get(), ca.key.get(), &p, std::time(nullptr)});
      REQUIRE(issued);
      cert = std::move(*issued);
    }
    unsigned char* got = nullptr;
    unsigned char* want = nullptr;
    int got_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &got);
    int want_len = i2d_PUBKEY(key.get(), &want);
    REQUIRE(got_len > 0);
    CHECK(std::string(reinterpret_cast<char*>(got), got_len) ==
          std::string(reinterpret_cast<char*>(want), want_len));
    OPENSSL_free(got);
    OPENSSL_free(want);
    CHECK(X509_check_private_key(cert.get(), key.get()) == 1);
    CHECK(X509_verify(cert.get(), ca.key.get()) == 1);
    // Decoded back from the DER, as any relying party reads it.
    unsigned char* der = nullptr;
    int der_len = i2d_X509(cert.get(), &der);
    const unsigned char* p = der;
    X509Ptr parsed(d2i_X509(nullptr, &p, der_len));
    OPENSSL_free(der);
    REQUIRE(parsed);
    CHECK(EVP_PKEY_eq(X509_get0_pubkey(parsed.get()), key.get()) == 1);
    CHECK(X509_verify(parsed.get(), ca.key.get()) == 1);
  }
}

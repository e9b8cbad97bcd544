// certd/revocation: CRL distribution points, decoding (DER, PEM, garbage, trailing bytes), the
// checks that make a CRL count (issuer name, signature, cRLSign, thisUpdate) and the lookup of a
// revoked serial with its reason — on certs and CRLs made with OpenSSL here; and the on-disk cache
// (a damaged file kept aside).
#include "certd/revocation/crl.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <ctime>

#include "certd/revocation/cache.hpp"
#include "common/fs.hpp"
#include "tests/support/temp_root.hpp"
#include "tests/support/test_cert.hpp"

using namespace edgesec;
using namespace edgesec::certd::revocation;

namespace {

const int64_t kNow = std::time(nullptr);

using Made = testing::TestCert;

// CN `cn`, signed by `issuer` (null: self-signed CA), `dp`: a crlDistributionPoints value.
Made Make(const std::string& cn, const Made* issuer, long serial, const char* dp = nullptr,
          const char* key_usage = nullptr) {
  testing::TestCertSpec spec{cn, issuer, issuer == nullptr, serial};
  if (key_usage) spec.extensions.emplace_back(NID_key_usage, key_usage);
  if (dp) spec.extensions.emplace_back(NID_crl_distribution_points, dp);
  return testing::MakeTestCert(spec);
}

// A CRL named for `issuer_name`'s subject, signed by `signer`'s key, listing `revoked` serials
// (reason keyCompromise), thisUpdate now + `from`, nextUpdate now + `next`.
CrlPtr MakeCrl(const Made& issuer_name, const Made& signer, std::vector<long> revoked,
               long from = -60, long next = 3600) {
  CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer_name.cert.get()));
  UniquePtr<ASN1_TIME> t1(ASN1_TIME_adj(nullptr, kNow, 0, from));
  UniquePtr<ASN1_TIME> t2(ASN1_TIME_adj(nullptr, kNow, 0, next));
  X509_CRL_set1_lastUpdate(crl.get(), t1.get());
  X509_CRL_set1_nextUpdate(crl.get(), t2.get());
  for (long serial : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* s = ASN1_INTEGER_new();
    ASN1_INTEGER_set(s, serial);
    X509_REVOKED_set_serialNumber(r, s);
    ASN1_INTEGER_free(s);
    X509_REVOKED_set_revocationDate(r, t1.get());
    ASN1_ENUMERATED* code = ASN1_ENUMERATED_new();
    ASN1_ENUMERATED_set(code, 1);
    X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, code, 0, 0);
    ASN1_ENUMERATED_free(code);
    X509_CRL_add0_revoked(crl.get(), r);
  }
  X509_CRL_sort(crl.get());
  REQUIRE(X509_CRL_sign(crl.get(), signer.key.get(), EVP_sha256()) > 0);
  return crl;
}

std::string Der(X509_CRL* crl) {
  auto der = CrlToDer(crl);
  REQUIRE(der);
  return *der;
}

}  // namespace

TEST_CASE("CRL distribution points: http and https URIs, in order, once each") {
  Made ca = Make("ca", nullptr, 1);
  Made leaf = Make("leaf", &ca, 2,
                   "URI:http://crl.example/a.crl,URI:ldap://x/y,URI:https://crl.example/b.crl,"
                   "URI:http://crl.example/a.crl");
  CHECK(CrlUrls(leaf.cert.get()) ==
        std::vector<std::string>{"http://crl.example/a.crl", "https://crl.example/b.crl"});
  CHECK(CrlUrls(ca.cert.get()).empty());
}

TEST_CASE("a CRL signed by the issuer counts, and names the revoked serial with its reason") {
  Made ca = Make("ca", nullptr, 1);
  Made leaf = Make("leaf", &ca, 0x1234);
  Made other = Make("other", &ca, 0x99);
  CrlPtr crl = MakeCrl(ca, ca, {0x1234});
  std::string der = Der(crl.get());
  for (const std::string& bytes : {der, std::string()}) {
    std::string input = bytes;
    if (input.empty()) {  // the PEM form
      BioPtr bio(BIO_new(BIO_s_mem()));
      PEM_write_bio_X509_CRL(bio.get(), crl.get());
      char* p = nullptr;
      long n = BIO_get_mem_data(bio.get(), &p);
      input.assign(p, static_cast<size_t>(n));
    }
    auto parsed = ParseCrl(input);
    REQUIRE(parsed);
    CHECK(VerifyCrl(parsed->get(), ca.cert.get(), kNow));
    auto entry = FindRevoked(parsed->get(), leaf.cert.get());
    REQUIRE(entry);
    CHECK(entry->reason == "keyCompromise");
    CHECK(std::llabs(entry->at - (kNow - 60)) <= 1);
    CHECK_FALSE(FindRevoked(parsed->get(), other.cert.get()));
  }
  CHECK(FindIssuer(leaf.cert.get(), {other.cert.get(), ca.cert.get()}) == ca.cert.get());
  CHECK(FindIssuer(leaf.cert.get(), {other.cert.get()}) == nullptr);
}

TEST_CASE("a forged CRL is refused, saying why") {
  Made ca = Make("ca", nullptr, 1);
  Made impostor = Make("ca", nullptr, 1);  // the same name, another key
  Made stranger = Make("stranger", nullptr, 1);
  Made no_crl_sign = Make("ca", nullptr, 1, nullptr, "critical,keyCertSign");
  auto refused = [&](X509_CRL* crl, X509* issuer, const char* why) {
    Status st = VerifyCrl(crl, issuer, kNow);
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().message, Catch::Contains(why));
  };
  refused(MakeCrl(impostor, impostor, {}).get(), ca.cert.get(), "signature does not verify");
  refused(MakeCrl(stranger, stranger, {}).get(), ca.cert.get(), "is not the cert's issuer");
  refused(MakeCrl(no_crl_sign, no_crl_sign, {}).get(), no_crl_sign.cert.get(), "cRLSign");
  refused(MakeCrl(ca, ca, {}, 86400, 2 * 86400).get(), ca.cert.get(), "in the future");
  // A stale CRL (nextUpdate past) is not forged.
  CHECK(VerifyCrl(MakeCrl(ca, ca, {}, -7200, -3600).get(), ca.cert.get(), kNow));
}

TEST_CASE("bytes that are not a CRL are refused") {
  Made ca = Make("ca", nullptr, 1);
  std::string der = Der(MakeCrl(ca, ca, {5}).get());
  CHECK_FALSE(ParseCrl(""));
  CHECK_FALSE(ParseCrl("garbage garbage"));
  CHECK_FALSE(ParseCrl(der.substr(0, der.size() - 7)));  // truncated
  auto trailing = ParseCrl(der + "x");
  REQUIRE_FALSE(trailing);
  CHECK_THAT(trailing.error().message, Catch::Contains("after the DER"));
  CHECK_FALSE(ParseCrl("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"));
}

TEST_CASE("the CRL cache: saved, loaded, a damaged file kept aside") {
  testing::TempDir dir;
  FakeClock clock(kNow);
  CrlCache cache(dir.path() + "/revocation", clock);
  Made ca = Make("ca", nullptr, 1);
  CrlPtr crl = MakeCrl(ca, ca, {7});
  const std::string url = "http://crl.example/ca.crl";
  CHECK_FALSE(cache.Load(url));
  REQUIRE(cache.Save(url, crl.get()));
  auto loaded = cache.Load(url);
  REQUIRE(loaded);
  CHECK(Der(loaded->get()) == Der(crl.get()));
  CHECK_FALSE(cache.Load("http://crl.example/other.crl"));

  REQUIRE(
      fs::AtomicWriteFile(cache.PathFor(url), "edgesec-crl-url: " + url + "\nnot a crl\n", 0644));
  CHECK_FALSE(cache.Load(url));
  CHECK_FALSE(fs::Exists(cache.PathFor(url)));
  auto files = fs::ListFiles(dir.path() + "/revocation");
  REQUIRE(files);
  REQUIRE(files->size() == 1);
  CHECK_THAT(files->front(), Catch::Contains(".bad-"));
}

// common/x509/details: subject/issuer in RFC 2253, SANs, days left, the fingerprint in the format of
// `openssl x509 -fingerprint -sha256`, key type and size, and the key id / engine line.
#include "common/x509/details.hpp"

#include <regex>

#include "tests/support/x509.hpp"

using namespace edgesec;
using namespace edgesec::certd;
using namespace edgesec::certd::testing;

TEST_CASE("details of an issued leaf: names, SANs, validity, fingerprint format, key") {
  int64_t now = std::time(nullptr);
  Ca ca(now);
  EvpPkeyPtr key = Ec();
  certd::x509::Profile p = certd::x509::DefaultLeafProfile();
  p.validity_days = 30;
  X509Ptr leaf =
      Issue(key.get(), "leaf", p, ca.cert.get(), ca.key.get(), now, "DNS:leaf.example,IP:10.0.0.1");
  auto d = edgesec::x509::Describe(leaf.get(), now);
  REQUIRE(d);
  CHECK(d->subject == "CN=leaf");
  CHECK(d->issuer == "CN=test-ca");
  CHECK(d->sans == std::vector<std::string>{"DNS:leaf.example", "IP:10.0.0.1"});
  CHECK(d->days_left == 30);
  CHECK(d->key_type == "EC");
  CHECK(d->key_bits == 256);
  CHECK(d->curve == "prime256v1");
  CHECK_FALSE(d->is_ca);
  CHECK(std::regex_match(d->sha256, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")));
  CHECK(d->sha256 == edgesec::x509::Sha256Fingerprint(leaf.get()));
  // From the DER alone (identityd recognizes a module cert's issuer so): the same text.
  unsigned char* der = nullptr;
  int der_len = i2d_X509(leaf.get(), &der);
  REQUIRE(der_len > 0);
  edgesec::Bytes bytes(der, der + der_len);
  OPENSSL_free(der);
  CHECK(edgesec::x509::Sha256FingerprintOfDer(bytes) == d->sha256);
  bytes[bytes.size() / 2] ^= 1;
  CHECK(edgesec::x509::Sha256FingerprintOfDer(bytes) != d->sha256);
  CHECK(d->serial.size() == 32);

  auto expired = edgesec::x509::Describe(leaf.get(), now + 40 * 86400);
  CHECK(expired->days_left == -10);
  CHECK_THAT(edgesec::x509::DetailsText(*expired), Catch::Contains("EXPIRED 10 days ago"));

  CHECK(edgesec::x509::Describe(ca.cert.get(), now)->is_ca);
}

TEST_CASE("details name the key id and engine when known") {
  Ca ca;
  auto d = edgesec::x509::Describe(ca.cert.get(), std::time(nullptr));
  REQUIRE(d);
  CHECK_THAT(edgesec::x509::DetailsText(*d), !Catch::Contains("keyd key"));
  CHECK(edgesec::x509::DetailsJson(*d)["engine"] == "");
  d->key_id = "ca-key";
  d->engine = "pkcs11";
  CHECK_THAT(edgesec::x509::DetailsText(*d), Catch::Contains("keyd key 'ca-key' in the pkcs11 engine"));
  Json j = edgesec::x509::DetailsJson(*d);
  CHECK(j["keyId"] == "ca-key");
  CHECK(j["engine"] == "pkcs11");
  d->engine.clear();
  CHECK_THAT(edgesec::x509::DetailsText(*d),
             Catch::Contains("keyd key 'ca-key'") && !Catch::Contains("engine"));
}

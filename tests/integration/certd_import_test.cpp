// PUT /certificates/{id}: import validation, one test per reason (also a chain that does not link);
// dates past 2038 and 2049; GET, DELETE, list fingerprints equal openssl's; preloaded certs; the
// store survives a restart.
#include <sys/stat.h>

#include "common/fs.hpp"
#include "tests/integration/certd_harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

std::string RefusalOf(CertdStack& s, const std::string& pem) {
  Error e = MustFail(s.client->Import("refused", pem));
  CHECK(e.kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(s.client->Get("refused")).kind == ErrorKind::kNotFound);
  return e.message;
}

}  // namespace

TEST_CASE("an expired certificate is refused as expired") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  auto cert = MakeCert({.not_before = -10 * 86400, .not_after = -86400, .key = key.get()});
  CHECK_THAT(RefusalOf(s, Pem(cert.get())), Catch::StartsWith("expired"));
}

TEST_CASE(
    "a certificate valid from the future is refused as not yet valid; 2 minutes of skew are "
    "allowed") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  auto later = MakeCert({.not_before = 3600, .key = key.get()});
  CHECK_THAT(RefusalOf(s, Pem(later.get())), Catch::StartsWith("not yet valid"));
  auto skewed = MakeCert({.not_before = 120, .key = key.get()});
  MUST(s.client->Import("skewed", Pem(skewed.get())));
}

TEST_CASE("RSA keys under 2048 bits and EC keys under 256 bits are refused as key too small") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
  auto weak_rsa = MakeCert({.key = rsa.get()});
  CHECK_THAT(RefusalOf(s, Pem(weak_rsa.get())), Catch::StartsWith("key too small"));
  EvpPkeyPtr ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-224"));
  auto weak_ec = MakeCert({.key = ec.get()});
  CHECK_THAT(RefusalOf(s, Pem(weak_ec.get())), Catch::StartsWith("key too small"));
}

TEST_CASE(
    "an issuing CA in the chain without CA:TRUE or without keyCertSign is refused as not a CA") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr ca_key = GenerateKey("ec-p256"), leaf_key = GenerateKey("ec-p256");
  auto not_ca = MakeCert({.cn = "not-ca", .ca = false, .key = ca_key.get()});
  auto leaf = MakeCert({.key = leaf_key.get(), .issuer = not_ca.get(), .issuer_key = ca_key.get()});
  CHECK_THAT(RefusalOf(s, Pem(leaf.get()) + Pem(not_ca.get())), Catch::StartsWith("not a CA"));
  auto no_certsign = MakeCert({.cn = "no-certsign",
                               .ca = true,
                               .key_usage = "critical,digitalSignature",
                               .key = ca_key.get()});
  auto leaf2 =
      MakeCert({.key = leaf_key.get(), .issuer = no_certsign.get(), .issuer_key = ca_key.get()});
  CHECK_THAT(RefusalOf(s, Pem(leaf2.get()) + Pem(no_certsign.get())),
             Catch::Contains("keyCertSign"));
  // A CA without keyUsage at all is fine (many real roots are like that).
  auto root = MakeCert({.cn = "root", .ca = true, .key = ca_key.get()});
  auto leaf3 = MakeCert({.key = leaf_key.get(), .issuer = root.get(), .issuer_key = ca_key.get()});
  MUST(s.client->Import("ok", Pem(leaf3.get()) + Pem(root.get())));
}

TEST_CASE("a chain whose CA did not issue the leaf is refused as chain does not link") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr ca_key = GenerateKey("ec-p256"), other_key = GenerateKey("ec-p256"),
             leaf_key = GenerateKey("ec-p256");
  auto ca = MakeCert({.cn = "issuing-ca", .ca = true, .key = ca_key.get()});
  auto leaf = MakeCert({.key = leaf_key.get(), .issuer = ca.get(), .issuer_key = ca_key.get()});
  auto unrelated = MakeCert({.cn = "unrelated-ca", .ca = true, .key = other_key.get()});
  CHECK_THAT(RefusalOf(s, Pem(leaf.get()) + Pem(unrelated.get())),
             Catch::StartsWith("chain does not link"));
  // Same name as the real issuer, another key: only the signature tells them apart.
  auto impostor = MakeCert({.cn = "issuing-ca", .ca = true, .key = other_key.get()});
  CHECK_THAT(RefusalOf(s, Pem(leaf.get()) + Pem(impostor.get())),
             Catch::StartsWith("chain does not link") && Catch::Contains("signature"));
  MUST(s.client->Import("linked", Pem(leaf.get()) + Pem(ca.get())));
}

TEST_CASE("garbage is refused as garbage") {
  CertdStack s(kNoQuickstart);
  CHECK_THAT(RefusalOf(s, "hello"), Catch::StartsWith("garbage"));
  CHECK_THAT(RefusalOf(s, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
             Catch::StartsWith("garbage"));
}

TEST_CASE("certificates expiring after 2038 and after 2049 import, list and show their dates") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  auto y2040 =
      MakeCert({.not_after = 2208988800LL - std::time(nullptr), .key = key.get()});  // 2040-01-01
  auto y2060 =
      MakeCert({.not_after = 2840140800LL - std::time(nullptr), .key = key.get()});  // 2060-01-01
  MUST(s.client->Import("y2040", Pem(y2040.get())));
  MUST(s.client->Import("y2060", Pem(y2060.get())));
  auto list = MUST(s.client->List());
  REQUIRE(list.size() == 2);
  CHECK(list[0].not_after == "2040-01-01T00:00:00Z");
  CHECK(list[1].not_after == "2060-01-01T00:00:00Z");
}

TEST_CASE(
    "GET returns the import, the list fingerprint equals openssl's, DELETE is 204 also when "
    "absent, restart keeps the store") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("rsa-2048");
  auto cert = MakeCert({.cn = "kept", .key = key.get()});
  std::string pem = Pem(cert.get());
  CHECK(MUST(s.client->Import("kept", pem)) == pem);
  CHECK(MUST(s.client->Get("kept")) == pem);
  WriteText(s.dir.path() + "/kept.pem", pem);
  RunResult fp = Run(
      {"openssl", "x509", "-in", s.dir.path() + "/kept.pem", "-noout", "-fingerprint", "-sha256"});
  auto list = MUST(s.client->List());
  REQUIRE(list.size() == 1);
  CHECK(fp.out == "sha256 Fingerprint=" + list[0].sha256 + "\n");
  CHECK(list[0].subject == "CN=kept");
  // The stored file: 0644, with the id recorded in it.
  auto names = MUST(fs::ListFiles(s.dir.path() + "/var/lib/edgesec/certd/certs"));
  REQUIRE(names.size() == 1);
  struct stat st {};
  REQUIRE(::stat((s.dir.path() + "/var/lib/edgesec/certd/certs/" + names[0]).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(fs::Exists(s.dir.path() + "/var/lib/edgesec/certd/FORMAT"));

  s.StartCertd();  // SIGTERM and a fresh certd on the same root
  CHECK(MUST(s.client->Get("kept")) == pem);
  MUST(s.client->Delete("kept"));
  CHECK(MustFail(s.client->Get("kept")).kind == ErrorKind::kNotFound);
  MUST(s.client->Delete("kept"));
  CHECK(Curl(s.certd_socket(), "DELETE", "/certificates/never?api-version=2020-09-01").status ==
        204);
  CHECK(Curl(s.certd_socket(), "GET", "/certificates/never?api-version=2020-09-01").status == 404);
}

TEST_CASE(
    "a preloaded cert is served, overridden by a stored one, and deleting it is refused with 400") {
  TempDir files;
  EvpPkeyPtr key = GenerateKey("ec-p256");
  auto preloaded = MakeCert({.cn = "preloaded", .key = key.get()});
  std::string path = files.path() + "/pre.pem";
  WriteText(path, Pem(preloaded.get()));
  CertdStack s("[preloaded_certs]\npre = \"file://" + path + "\"\n" + kNoQuickstart);
  CHECK(MUST(s.client->Get("pre")) == Pem(preloaded.get()));
  CHECK(MUST(s.client->List()).at(0).preloaded);
  auto renewed = MakeCert({.cn = "renewed", .key = key.get()});
  MUST(s.client->Import("pre", Pem(renewed.get())));
  CHECK(MUST(s.client->Get("pre")) == Pem(renewed.get()));
  CHECK(ReadTextFile(path) == Pem(preloaded.get()));
  MUST(s.client->Delete("pre"));  // the stored cert that overrode the preloaded one
  CHECK(fs::Exists(path));
  CHECK(MUST(s.client->Get("pre")) == Pem(preloaded.get()));
  // The preloaded cert itself cannot be deleted: 400 saying which file and what to do.
  CurlReply refused = Curl(s.certd_socket(), "DELETE", "/certificates/pre?api-version=2020-09-01");
  CHECK(refused.status == 400);
  CHECK_THAT(refused.body, Catch::Contains("preloaded from '" + path + "'") &&
                               Catch::Contains("[preloaded_certs]"));
  CHECK(fs::Exists(path));
  CHECK(MUST(s.client->Get("pre")) == Pem(preloaded.get()));
}

TEST_CASE("a percent-encoded NUL never shortens a cert id: 400, and the cert is still there") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  std::string pem = Pem(MakeCert({.cn = "nulc", .key = key.get()}).get());
  MUST(s.client->Import("nulc", pem));
  // Before the fix, DELETE /certificates/nulc%00zzz deleted "nulc" (204) and GET /certificates/%00
  // answered the whole list.
  CurlReply del = Curl(s.certd_socket(), "DELETE", "/certificates/nulc%00zzz?api-version=2020-09-01");
  CHECK(del.status == 400);
  CHECK(del.json.value("message", "").find("NUL byte") != std::string::npos);
  CHECK(MUST(s.client->Get("nulc")) == pem);
  CurlReply list = Curl(s.certd_socket(), "GET", "/certificates/%00?api-version=2020-09-01");
  CHECK(list.status == 400);
  CHECK(list.body.find("nulc") == std::string::npos);
  CurlReply query = Curl(s.certd_socket(), "GET", "/certificates/nulc?api-version=2020-09-01%00");
  CHECK(query.status == 400);
  CHECK(query.body.find("BEGIN CERTIFICATE") == std::string::npos);
  CHECK(MUST(s.client->List()).size() == 1);
}

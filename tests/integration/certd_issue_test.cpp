// POST /certificates: local issuance signed by a CA key held in keyd; forged CSRs refused; serials,
// SKID/AKID, notAfter cap, openssl verify; credentials; principals (401).
#include <unistd.h>

#include <openssl/pem.h>

#include <set>

#include "common/fs.hpp"
#include "tests/integration/certd_harness.hpp"
#include "tests/support/skip.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

certd::api::CreateCertRequest Request(const std::string& id, const std::string& csr, const CaInKeyd& ca,
                                      const std::string& ca_id) {
  return {id, csr, certd::api::Issuer{ca_id, ca.handle}, std::nullopt};
}

X509Ptr FirstCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

TEST_CASE("a CA whose key lives in keyd issues leaves that openssl verifies, with 16-byte serials, SKID/AKID, capped notAfter") {
  CertdStack s(kNoQuickstart);
  CaInKeyd ca = MakeCaInKeyd(s, "edge-ca", 10 * 86400);  // the CA ends long before the profile's 365 days
  std::set<std::string> serials;
  for (int i = 0; i < 5; ++i) {
    EvpPkeyPtr key = GenerateKey(i % 2 ? "rsa-2048" : "ec-p256");
    std::string id = "leaf-" + std::to_string(i);
    std::string pem = MUST(s.client->Issue(Request(id, MakeCsr(key.get(), id), ca, "edge-ca")));
    CHECK(MUST(s.client->Get(id)) == pem);
    std::string chain = s.dir.path() + "/chain.pem";
    WriteText(chain, pem);
    WriteText(s.dir.path() + "/ca.pem", Pem(ca.cert.get()));
    RunResult verify = Run({"openssl", "verify", "-CAfile", s.dir.path() + "/ca.pem", chain});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    X509Ptr leaf = FirstCert(pem);
    const ASN1_INTEGER* serial = X509_get0_serialNumber(leaf.get());
    CHECK(ASN1_STRING_length(serial) == 16);
    CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER);  // positive
    serials.insert(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)), 16));
    CHECK(X509_get0_subject_key_id(leaf.get()) != nullptr);
    CHECK(X509_get0_authority_key_id(leaf.get()) != nullptr);
    CHECK(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()), X509_get0_notAfter(ca.cert.get())) == 0);
    CHECK(X509_get_signature_nid(leaf.get()) == (i % 2 ? NID_ecdsa_with_SHA256 : NID_ecdsa_with_SHA256));
  }
  CHECK(serials.size() == 5);
}

TEST_CASE("issuance with a forged or wrong-key CSR is refused with 400 saying the CSR signature does not verify") {
  CertdStack s(kNoQuickstart);
  CaInKeyd ca = MakeCaInKeyd(s, "ca");
  EvpPkeyPtr claimed = GenerateKey("ec-p256"), other = GenerateKey("ec-p256");
  Error e = MustFail(s.client->Issue(Request("forged", MakeCsr(claimed.get(), "forged", other.get()), ca, "ca")));
  CHECK(e.kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(e.message, Catch::Contains("CSR signature does not verify"));
  CHECK(MustFail(s.client->Get("forged")).kind == ErrorKind::kNotFound);
}

TEST_CASE("an issuer that is not a CA, an unknown issuer, a missing issuer and an unknown profile are refused saying why") {
  CertdStack s(kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  CaInKeyd ca = MakeCaInKeyd(s, "ca");
  auto leaf_cert = MakeCert({.cn = "plain", .key = key.get()});
  MUST(s.client->Import("plain", Pem(leaf_cert.get())));
  std::string plain_handle = MUST(s.keyd_client->ImportKeyPair("plain", MUST(PrivateKeyToPkcs8Der(key.get()))));
  std::string csr = MakeCsr(GenerateKey("ec-p256").get(), "x");
  CHECK_THAT(MustFail(s.client->Issue({"x", csr, certd::api::Issuer{"plain", plain_handle}, std::nullopt})).message,
             Catch::Contains("not a CA"));
  CHECK_THAT(MustFail(s.client->Issue({"x", csr, certd::api::Issuer{"nope", ca.handle}, std::nullopt})).message,
             Catch::Contains("not in the store"));
  CHECK_THAT(MustFail(s.client->Issue({"x", csr, certd::api::Issuer{"ca", plain_handle}, std::nullopt})).message,
             Catch::Contains("key does not match"));
  CHECK_THAT(MustFail(s.client->Issue({"x", csr, std::nullopt, std::nullopt})).message, Catch::Contains("'issuer'"));
  CHECK_THAT(MustFail(s.client->Issue({"x", csr, certd::api::Issuer{"ca", ca.handle}, std::string("gold")})).message,
             Catch::Contains("profile"));
}

// certd keeps an issuer (its parsed chain and its keyd key) between issuances, and keyd keeps the
// decoded key: a renewal (new key, new cert, same ids) must reach the very next issuance.
TEST_CASE("a renewed issuer is used for the very next issuance; store false writes nothing") {
  CertdStack s(kNoQuickstart);
  CaInKeyd old_ca = MakeCaInKeyd(s, "rolling-ca");
  WriteText(s.dir.path() + "/old-ca.pem", Pem(old_ca.cert.get()));
  std::string certs_dir = s.dir.path() + "/var/lib/edgesec/certd/certs";
  auto files_before = MUST(fs::ListFiles(certs_dir));
  auto issue = [&](const std::string& id, const std::string& handle) {
    certd::api::CreateCertRequest r = {id, MakeCsr(GenerateKey("ec-p256").get(), id),
                                       certd::api::Issuer{"rolling-ca", handle}, std::nullopt};
    r.store = false;
    std::string pem = MUST(s.client->Issue(r));
    WriteText(s.dir.path() + "/" + id + ".pem", pem);
    return s.dir.path() + "/" + id + ".pem";
  };
  auto verifies = [&](const std::string& ca, const std::string& leaf) {
    RunResult r = Run({"openssl", "verify", "-CAfile", s.dir.path() + "/" + ca, leaf});
    INFO(ca << " " << leaf << ": " << r.out << r.err);
    return r.exit_code == 0;
  };
  for (int i = 0; i < 3; ++i) CHECK(verifies("old-ca.pem", issue("before-" + std::to_string(i), old_ca.handle)));
  CHECK(MustFail(s.client->Get("before-0")).kind == ErrorKind::kNotFound);
  CHECK(MUST(fs::ListFiles(certs_dir)) == files_before);  // not stored: no file, no temp file

  CaInKeyd new_ca = MakeCaInKeyd(s, "rolling-ca");  // the same key id and cert id, both replaced
  WriteText(s.dir.path() + "/new-ca.pem", Pem(new_ca.cert.get()));
  std::string after = issue("after", new_ca.handle);
  CHECK(verifies("new-ca.pem", after));
  CHECK_FALSE(verifies("old-ca.pem", after));
  // A handle fetched before names the key id, which is the new key now: no mix of old and new.
  std::string with_old_handle = issue("after-old-handle", old_ca.handle);
  CHECK(verifies("new-ca.pem", with_old_handle));
  CHECK_FALSE(verifies("old-ca.pem", with_old_handle));
}

TEST_CASE("credentials: self_signed and local_ca issue without an issuer in the request; profiles set CA and EKU") {
  CertdStack s(R"(
[local_ca]
cert = "ca"
key = "ca"

[profiles.server]
validity_days = 30
extended_key_usage = ["serverAuth"]

[profiles.sub-ca]
ca = true
pathlen = 0
key_usage = ["keyCertSign", "cRLSign"]

[[credential]]
cert_id = "self"
method = "self_signed"
auto_renew = false

[[credential]]
cert_id = "web"
method = "local_ca"
profile = "server"
auto_renew = false
)" + kNoQuickstart);
  CaInKeyd ca = MakeCaInKeyd(s, "ca");
  EvpPkeyPtr self_key = GenerateKey("ec-p256");
  MUST(s.keyd_client->ImportKeyPair("self", MUST(PrivateKeyToPkcs8Der(self_key.get()))));
  X509Ptr self = FirstCert(MUST(s.client->Issue({"self", MakeCsr(self_key.get(), "self"), std::nullopt, std::nullopt})));
  CHECK(X509_NAME_cmp(X509_get_subject_name(self.get()), X509_get_issuer_name(self.get())) == 0);
  CHECK(X509_verify(self.get(), self_key.get()) == 1);
  X509Ptr web = FirstCert(MUST(s.client->Issue({"web", MakeCsr(GenerateKey("ec-p256").get(), "web"), std::nullopt, std::nullopt})));
  CHECK((X509_get_extended_key_usage(web.get()) & XKU_SSL_SERVER) != 0);
  X509Ptr sub = FirstCert(MUST(s.client->Issue({"sub", MakeCsr(GenerateKey("ec-p256").get(), "sub"),
                                                certd::api::Issuer{"ca", ca.handle}, std::string("sub-ca")})));
  CHECK((X509_get_extension_flags(sub.get()) & EXFLAG_CA) != 0);
  CHECK(X509_get_pathlen(sub.get()) == 0);
}

TEST_CASE("a caller outside the principals gets 401 naming the uid; a principal reaches only its certs") {
  if (::geteuid() != 0) {
    return edgesec::testing::SkipCase("needs root to drop to uid 65534");
  }
  CertdStack s("socket_mode = \"0666\"\n[[principal]]\nuid = 65534\ncerts = [\"mine-*\"]\n" + kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  MUST(s.client->Import("mine-1", Pem(MakeCert({.key = key.get()}).get())));
  MUST(s.client->Import("other", Pem(MakeCert({.key = key.get()}).get())));
  auto as_nobody = [&](const std::string& path) {
    return Run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "-w", "\n%{http_code}",
                "--unix-socket", s.certd_socket(), "http://certd" + path});
  };
  RunResult denied = as_nobody("/certificates/other?api-version=2020-09-01");
  CHECK_THAT(denied.out, Catch::EndsWith("401"));
  CHECK_THAT(denied.out, Catch::Contains("user 65534 is not authorized"));
  CHECK_THAT(as_nobody("/certificates/mine-1?api-version=2020-09-01").out, Catch::EndsWith("200"));
  RunResult list = as_nobody("/certificates?api-version=2020-09-01");
  CHECK_THAT(list.out, Catch::Contains("mine-1"));
  CHECK_THAT(list.out, !Catch::Contains("\"other\""));
}

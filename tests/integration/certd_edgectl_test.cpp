// edgectl cert list|show|import|issue|delete with --json against keyd and certd; PEM, DER and PKCS#12
// (also legacy-encrypted) imports; refusals name the file and the reason.
#include "tests/integration/certd_harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

RunResult Edgectl(CertdStack& s, std::vector<std::string> args) {
  args.insert(args.begin(), BinaryFromEnv("EDGESEC_EDGECTL"));
  args.push_back("--root");
  args.push_back(s.dir.path());
  return Run(args);
}

Json JsonOf(const RunResult& r) {
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out);
}

}  // namespace

TEST_CASE("edgectl cert import reads PEM, DER and PKCS#12 (modern and legacy), sends the key to keyd, and shows it") {
  CertdStack s(kNoQuickstart);
  const std::string d = s.dir.path();
  REQUIRE(Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
               d + "/k.pem", "-out", d + "/c.pem", "-subj", "/CN=device", "-days", "30", "-addext",
               "subjectAltName=DNS:device.example"}).exit_code == 0);
  REQUIRE(Run({"openssl", "x509", "-in", d + "/c.pem", "-outform", "DER", "-out", d + "/c.der"}).exit_code == 0);
  REQUIRE(Run({"openssl", "pkcs12", "-export", "-in", d + "/c.pem", "-inkey", d + "/k.pem", "-out", d + "/modern.p12",
               "-passout", "pass:s3cret"}).exit_code == 0);
  REQUIRE(Run({"openssl", "pkcs12", "-export", "-legacy", "-in", d + "/c.pem", "-inkey", d + "/k.pem", "-out",
               d + "/legacy.p12", "-passout", "pass:s3cret"}).exit_code == 0);
  WriteText(d + "/pass.txt", "s3cret\n");

  Json pem = JsonOf(Edgectl(s, {"cert", "import", "from-pem", d + "/c.pem", "--json"}));
  CHECK(pem["format"] == "PEM");
  CHECK(pem["keyId"].is_null());
  CHECK(JsonOf(Edgectl(s, {"cert", "import", "from-der", d + "/c.der", "--json"}))["format"] == "DER");
  Json modern = JsonOf(Edgectl(s, {"cert", "import", "modern", d + "/modern.p12", "--password", "s3cret", "--json"}));
  CHECK(modern["format"] == "PKCS#12");
  CHECK(modern["keyId"] == "modern");
  Json legacy = JsonOf(Edgectl(s, {"cert", "import", "legacy", d + "/legacy.p12", "--password-file", d + "/pass.txt",
                                   "--key-id", "legacy-key", "--json"}));
  CHECK(legacy["keyId"] == "legacy-key");
  // The key went to keyd: its public key is the certificate's.
  EvpPkeyPtr pub = MUST(s.keyd_client->PublicKey(MUST(s.keyd_client->GetKeyPair("legacy-key"))));
  CHECK(PublicPem(pub.get()) == PublicPem(MUST(PrivateKeyFromPem(ReadTextFile(d + "/k.pem"))).get()));

  RunResult wrong = Edgectl(s, {"cert", "import", "bad", d + "/legacy.p12", "--password", "nope"});
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.err, Catch::Contains(d + "/legacy.p12") && Catch::Contains("wrong password"));
  // A PEM with a key that is not the certificate's.
  REQUIRE(Run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", d + "/other.pem"}).exit_code == 0);
  WriteText(d + "/mismatch.pem", ReadTextFile(d + "/c.pem") + ReadTextFile(d + "/other.pem"));
  RunResult mismatch = Edgectl(s, {"cert", "import", "mm", d + "/mismatch.pem"});
  CHECK(mismatch.exit_code == 1);
  CHECK_THAT(mismatch.err, Catch::Contains("mismatch.pem") && Catch::Contains("key does not match"));
  WriteText(d + "/garbage.bin", "not a certificate at all");
  CHECK_THAT(Edgectl(s, {"cert", "import", "g", d + "/garbage.bin"}).err, Catch::Contains("garbage"));

  Json shown = JsonOf(Edgectl(s, {"cert", "show", "legacy", "--json"}));
  RunResult fp = Run({"openssl", "x509", "-in", d + "/c.pem", "-noout", "-fingerprint", "-sha256"});
  CHECK(fp.out == "sha256 Fingerprint=" + shown["sha256"].get<std::string>() + "\n");
  CHECK(shown["subject"] == "CN=device");
  CHECK(shown["sans"] == Json::array({"DNS:device.example"}));
  CHECK(shown["keyType"] == "EC");
  CHECK(shown["keyBits"] == 256);
  CHECK(shown["daysLeft"].get<int>() >= 29);
  RunResult text = Edgectl(s, {"cert", "show", "legacy"});
  CHECK_THAT(text.out, Catch::Contains("SHA-256:") && Catch::Contains("days left"));

  Json list = JsonOf(Edgectl(s, {"cert", "list", "--json"}));
  CHECK(list["certificates"].size() == 4);
  CHECK(JsonOf(Edgectl(s, {"cert", "delete", "from-der", "--json"}))["deleted"] == true);
  CHECK(JsonOf(Edgectl(s, {"cert", "list", "--json"}))["certificates"].size() == 3);
  CHECK(Edgectl(s, {"cert", "import", "--help"}).exit_code == 0);
}

TEST_CASE("edgectl cert issue signs a CSR with a CA key held in keyd") {
  CertdStack s(kNoQuickstart);
  const std::string d = s.dir.path();
  CaInKeyd ca = MakeCaInKeyd(s, "ca");
  WriteText(d + "/leaf.csr", MakeCsr(GenerateKey("ec-p256").get(), "leaf"));
  Json issued = JsonOf(Edgectl(s, {"cert", "issue", "leaf", "--csr", d + "/leaf.csr", "--issuer-cert", "ca",
                                   "--issuer-key", "ca", "--json"}));
  WriteText(d + "/leaf.pem", issued["pem"].get<std::string>());
  WriteText(d + "/ca.pem", Pem(ca.cert.get()));
  CHECK(Run({"openssl", "verify", "-CAfile", d + "/ca.pem", d + "/leaf.pem"}).exit_code == 0);
  CHECK(Edgectl(s, {"cert", "issue", "leaf"}).exit_code == 2);
}

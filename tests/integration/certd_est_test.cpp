// certd + edgectl against the project's EST test server (tests/est/est_server.py): `edgectl cert enroll`
// of an est credential (key in keyd, CSR shaped by /csrattrs), Basic auth, the bootstrap → EST identity
// flow, re-enrollment with and without key rotation, EST failures answered with the server's status and
// message, /serverkeygen credentials (PKCS#8 and PKCS#1 keys imported into keyd), and
// `edgectl est cacerts|csrattrs`.
#include <openssl/pem.h>

#include <filesystem>

#include "common/x509/pem.hpp"
#include "common/fs.hpp"
#include "tests/integration/certd_harness.hpp"
#include "tests/support/est_server.hpp"

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

std::string Config(const EstServer& est, const std::string& est_extra = "", const std::string& cred_extra = "") {
  return "[est]\nurl = \"" + est.BaseUrl() + "\"\ntrusted_certs = [\"" + est.RootPem() + "\"]\n" + est_extra +
         "\n[[credential]]\ncert_id = \"device-id\"\nkey_id = \"device-key\"\nmethod = \"est\"\n"
         "common_name = \"device-1\"\nsans = [\"DNS:device-1.example\"]\nauto_renew = false\n" + cred_extra +
         "\n[edge_ca]\nquickstart = false\n";
}

std::vector<Json> Log(const EstServer& est, const std::string& op) {
  std::vector<Json> out;
  for (const auto& line : est.Requests()) {
    Json j = Json::parse(line);
    std::string path = j["path"];
    if (path.size() >= op.size() && path.compare(path.size() - op.size(), op.size(), op) == 0) out.push_back(j);
  }
  return out;
}

edgesec::x509::Chain ChainOf(const std::string& pem) { return MUST(edgesec::x509::ParsePemChain(pem)); }

// The leaf's public key is the keyd key pair's.
void RequireKeyMatches(CertdStack& s, const std::string& key_id, const std::string& pem) {
  auto handle = MUST(s.keyd_client->GetKeyPair(key_id));
  auto pub = MUST(s.keyd_client->PublicKey(handle));
  REQUIRE(EVP_PKEY_eq(X509_get0_pubkey(ChainOf(pem).front().get()), pub.get()) == 1);
}

// `openssl verify` of the leaf with the rest of the returned chain as the only CA file.
void RequireOpensslVerifies(CertdStack& s, const std::string& pem) {
  auto chain = ChainOf(pem);
  REQUIRE(chain.size() >= 2);
  std::string cas;
  for (size_t i = 1; i < chain.size(); ++i) cas += Pem(chain[i].get());
  WriteText(s.dir.path() + "/cas.pem", cas);
  WriteText(s.dir.path() + "/leaf.pem", Pem(chain.front().get()));
  RunResult r = Run({"openssl", "verify", "-CAfile", s.dir.path() + "/cas.pem", s.dir.path() + "/leaf.pem"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// The leaf's serial as the EST test server logs it ("client_serial": uppercase hex).
std::string SerialHex(const std::string& pem) {
  UniquePtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(ChainOf(pem).front().get()), nullptr));
  REQUIRE(bn);
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex;
  OPENSSL_free(hex);
  return out.substr(std::min(out.find_first_not_of('0'), out.size() - 1));  // BN_bn2hex pads to bytes
}

// The file of certd's store that records `id` (first line "edgesec-cert-id: <id>").
std::string StoreFileOf(CertdStack& s, const std::string& id) {
  for (const auto& e : std::filesystem::directory_iterator(s.dir.path() + "/var/lib/edgesec/certd/certs")) {
    std::string text = MUST(fs::ReadFile(e.path().string()));
    if (text.rfind("edgesec-cert-id: " + id + "\n", 0) == 0) return e.path().string();
  }
  FAIL("no store file for cert id " << id);
  return {};
}

std::string KeyIdInList(CertdStack& s, const std::string& id) {
  for (const auto& c : MUST(s.client->List()))
    if (c.cert_id == id) return c.key_id;
  return {};
}

}  // namespace

TEST_CASE("edgectl cert enroll enrolls an est credential with its key in keyd, and cert show shows it") {
  EstServer est;
  CertdStack s(Config(est));
  Json enrolled = JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  CHECK_THAT(enrolled["subject"].get<std::string>(), Catch::Contains("CN=device-1"));
  CHECK_THAT(enrolled["issuer"].get<std::string>(), Catch::Contains("EST Test Issuing CA"));

  Json shown = JsonOf(Edgectl(s, {"cert", "show", "device-id", "--json"}));
  CHECK_THAT(shown["subject"].get<std::string>(), Catch::Contains("CN=device-1"));
  CHECK_THAT(shown["issuer"].get<std::string>(), Catch::Contains("EST Test Issuing CA"));
  CHECK(shown["chainLength"] == 3);  // leaf, issuing CA, root: verified and stored as a full chain
  RunResult text = Edgectl(s, {"cert", "show", "device-id"});
  CHECK_THAT(text.out, Catch::Contains("device-1"));

  std::string pem = MUST(s.client->Get("device-id"));
  RequireOpensslVerifies(s, pem);
  RequireKeyMatches(s, "device-key", pem);
  CHECK(KeyIdInList(s, "device-id") == "device-key");

  // The CSR followed /csrattrs (P-384 key, SHA-384) and carried the configured SAN; no auth was configured.
  auto enrolls = Log(est, "/simpleenroll");
  REQUIRE(enrolls.size() == 1);
  CHECK(enrolls[0]["csr_key"] == "secp384r1");
  CHECK(enrolls[0]["csr_sig_hash"] == "sha384");
  CHECK(enrolls[0]["csr_sans"].dump().find("device-1.example") != std::string::npos);
  CHECK(enrolls[0]["client_subject"].is_null());
  CHECK(enrolls[0]["user"].is_null());

  // Enrolling again reuses the key.
  std::string again = JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}))["pem"];
  CHECK(again != pem);
  RequireKeyMatches(s, "device-key", again);

  CHECK(Edgectl(s, {"cert", "enroll", "--help"}).exit_code == 0);
  CHECK(Edgectl(s, {"cert", "enroll"}).exit_code == 2);
}

TEST_CASE("an http:// EST URL works (certd logs a warning that nothing is authenticated or encrypted)") {
  EstServer est({"--plain-http"});
  REQUIRE(est.BaseUrl().rfind("http://", 0) == 0);
  CertdStack s(Config(est));
  Json enrolled = JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  CHECK_THAT(enrolled["issuer"].get<std::string>(), Catch::Contains("EST Test Issuing CA"));
  std::string pem = MUST(s.client->Get("device-id"));
  RequireOpensslVerifies(s, pem);  // the returned chain is still checked against trusted_certs
  RequireKeyMatches(s, "device-key", pem);
  CHECK(Log(est, "/simpleenroll").size() == 1);
}

TEST_CASE("edgectl est cacerts and est csrattrs use certd's [est] config, or --url and --trusted") {
  EstServer est;
  CertdStack s(Config(est));
  Json ca = JsonOf(Edgectl(s, {"est", "cacerts", "--json"}));
  REQUIRE(ca["certificates"].size() == 2);
  CHECK(ca["certificates"].dump().find("EST Test Root CA") != std::string::npos);
  RunResult text = Edgectl(s, {"est", "cacerts"});
  CHECK_THAT(text.out, Catch::Contains("BEGIN CERTIFICATE"));

  EstServer other;
  Json by_flags = JsonOf(Edgectl(s, {"est", "cacerts", "--url", other.BaseUrl(), "--trusted", other.RootPem(), "--json"}));
  CHECK(by_flags["url"].get<std::string>().find(std::to_string(other.port())) != std::string::npos);
  RunResult untrusted = Edgectl(s, {"est", "cacerts", "--url", other.BaseUrl(), "--trusted", est.RootPem()});
  CHECK(untrusted.exit_code == 1);

  Json attrs = JsonOf(Edgectl(s, {"est", "csrattrs", "--json"}));
  CHECK(attrs["challengePassword"] == true);
  CHECK(attrs["keyType"] == "EC secp384r1");
  CHECK(Edgectl(s, {"est", "cacerts", "--help"}).exit_code == 0);
  CHECK(Edgectl(s, {"est", "csrattrs", "--help"}).exit_code == 0);
}

TEST_CASE("an est credential authenticates with HTTP Basic; a wrong password is the server's 401, answered 400") {
  EstServer est({"--user", "estuser", "--password", "s3cret"});
  TempDir tmp;
  WriteText(tmp.path() + "/pw", "s3cret\n");
  WriteText(tmp.path() + "/bad", "nope\n");
  std::string cfg = Config(est, "username = \"estuser\"\npassword_file = \"" + tmp.path() + "/pw\"\n") +
                    "\n[[credential]]\ncert_id = \"other\"\nmethod = \"est\"\nusername = \"estuser\"\n"
                    "password_file = \"" + tmp.path() + "/bad\"\nauto_renew = false\n";
  CertdStack s(cfg);
  JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  auto enrolls = Log(est, "/simpleenroll");
  REQUIRE(enrolls.size() == 1);
  CHECK(enrolls[0]["user"] == "estuser:s3cret");

  RunResult bad = Edgectl(s, {"cert", "enroll", "other"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("401"));
  auto direct = s.client->Issue({"other", "", std::nullopt, std::nullopt});
  REQUIRE_FALSE(direct);
  CHECK(direct.error().kind == ErrorKind::kInvalidParameter);
}

TEST_CASE("the bootstrap identity is used once to obtain the EST identity, which authenticates from then on") {
  TempDir tmp;
  EvpPkeyPtr ca_key = GenerateKey("ec-p256");
  X509Ptr ca = MakeCert({.cn = "Bootstrap CA", .ca = true, .key_usage = "critical,keyCertSign,cRLSign",
                         .key = ca_key.get()});
  WriteText(tmp.path() + "/bootstrap-ca.pem", Pem(ca.get()));
  EstServer est({"--client-ca", tmp.path() + "/bootstrap-ca.pem", "--require-client-cert"});
  CertdStack s(Config(est, "bootstrap_identity_cert = \"bootstrap\"\nbootstrap_identity_key = \"bootstrap-key\"\n"
                           "identity_cert = \"est-identity\"\nidentity_key = \"est-identity-key\"\n"
                           "identity_common_name = \"est-id-device-1\"\n"));
  EvpPkeyPtr boot_key = GenerateKey("ec-p256");
  X509Ptr boot = MakeCert({.cn = "bootstrap-device", .key = boot_key.get(), .issuer = ca.get(), .issuer_key = ca_key.get()});
  MUST(s.keyd_client->ImportKeyPair("bootstrap-key", MUST(PrivateKeyToPkcs8Der(boot_key.get()))));
  MUST(s.client->Import("bootstrap", Pem(boot.get())));

  JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  auto enrolls = Log(est, "/simpleenroll");
  REQUIRE(enrolls.size() == 3);
  CHECK(enrolls[0]["client_subject"] == "CN=bootstrap-device");
  CHECK(enrolls[0]["csr_subject"] == "CN=est-id-device-1");
  CHECK(enrolls[1]["client_subject"] == "CN=est-id-device-1");
  CHECK(enrolls[1]["csr_subject"] == "CN=device-1");
  CHECK(enrolls[2]["client_subject"] == "CN=est-id-device-1");

  Json identity = JsonOf(Edgectl(s, {"cert", "show", "est-identity", "--json"}));
  CHECK_THAT(identity["issuer"].get<std::string>(), Catch::Contains("EST Test Issuing CA"));
  RequireKeyMatches(s, "est-identity-key", MUST(s.client->Get("est-identity")));
  RequireOpensslVerifies(s, MUST(s.client->Get("device-id")));
}

TEST_CASE("an expired EST identity is not presented: the bootstrap identity obtains a fresh one") {
  TempDir tmp;
  EvpPkeyPtr ca_key = GenerateKey("ec-p256");
  X509Ptr ca = MakeCert({.cn = "Bootstrap CA", .ca = true, .key_usage = "critical,keyCertSign,cRLSign",
                         .key = ca_key.get()});
  WriteText(tmp.path() + "/bootstrap-ca.pem", Pem(ca.get()));
  EstServer est({"--client-ca", tmp.path() + "/bootstrap-ca.pem", "--require-client-cert"});
  CertdStack s(Config(est, "bootstrap_identity_cert = \"bootstrap\"\nbootstrap_identity_key = \"bootstrap-key\"\n"
                           "identity_cert = \"est-identity\"\nidentity_key = \"est-identity-key\"\n"
                           "identity_common_name = \"est-id-device-1\"\n"));
  EvpPkeyPtr boot_key = GenerateKey("ec-p256");
  X509Ptr boot = MakeCert({.cn = "bootstrap-device", .key = boot_key.get(), .issuer = ca.get(), .issuer_key = ca_key.get()});
  MUST(s.keyd_client->ImportKeyPair("bootstrap-key", MUST(PrivateKeyToPkcs8Der(boot_key.get()))));
  MUST(s.client->Import("bootstrap", Pem(boot.get())));

  JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  REQUIRE(Log(est, "/simpleenroll").size() == 2);
  CHECK(Log(est, "/simpleenroll")[0]["client_subject"] == "CN=bootstrap-device");

  // The stored EST identity expires: its record in certd's store now holds a cert for the same key
  // (same subject, key id line kept) whose validity ended an hour ago, beyond any clock-skew allowance.
  std::string file = StoreFileOf(s, "est-identity");
  std::string text = MUST(fs::ReadFile(file));
  std::string header = text.substr(0, text.find("-----BEGIN"));
  CHECK_THAT(header, Catch::Contains("edgesec-key-id: est-identity-key"));
  auto id_pub = MUST(s.keyd_client->PublicKey(MUST(s.keyd_client->GetKeyPair("est-identity-key"))));
  X509Ptr expired = MakeCert({.cn = "est-id-device-1", .not_before = -2 * 86400, .not_after = -3600,
                              .key = id_pub.get(), .issuer = ca.get(), .issuer_key = ca_key.get()});
  // MakeCert's serials come from the clock: give this one its own, so the server log tells it apart.
  ASN1_INTEGER_set(X509_get_serialNumber(expired.get()), 0x7E57ED1);
  REQUIRE(X509_sign(expired.get(), ca_key.get(), EVP_sha256()) > 0);
  std::string expired_pem = Pem(expired.get());
  WriteText(file, header + expired_pem);
  REQUIRE(MUST(s.client->Get("est-identity")) == expired_pem);
  std::string expired_serial = SerialHex(expired_pem);

  JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  auto enrolls = Log(est, "/simpleenroll");
  REQUIRE(enrolls.size() == 4);
  // The bootstrap identity authenticated the request for a new EST identity again...
  CHECK(enrolls[2]["client_subject"] == "CN=bootstrap-device");
  CHECK(enrolls[2]["client_serial"] == SerialHex(Pem(boot.get())));
  CHECK(enrolls[2]["csr_subject"] == "CN=est-id-device-1");
  // ...and the fresh EST identity the device cert's request.
  std::string fresh = MUST(s.client->Get("est-identity"));
  CHECK(fresh != expired_pem);
  CHECK(enrolls[3]["client_subject"] == "CN=est-id-device-1");
  CHECK(enrolls[3]["client_serial"] == SerialHex(fresh));
  CHECK(enrolls[3]["csr_subject"] == "CN=device-1");
  // The expired identity was never presented (a server that rejects it would fail the handshake).
  for (const auto& line : est.Requests()) CHECK(Json::parse(line)["client_serial"] != expired_serial);

  // The store holds the fresh identity, valid now, issued by the EST CA, for the same keyd key.
  Json identity = JsonOf(Edgectl(s, {"cert", "show", "est-identity", "--json"}));
  CHECK_THAT(identity["issuer"].get<std::string>(), Catch::Contains("EST Test Issuing CA"));
  CHECK(X509_cmp_time(X509_get0_notAfter(ChainOf(fresh).front().get()), nullptr) > 0);
  CHECK(KeyIdInList(s, "est-identity") == "est-identity-key");
  RequireKeyMatches(s, "est-identity-key", fresh);
  RequireOpensslVerifies(s, fresh);
  RequireOpensslVerifies(s, MUST(s.client->Get("device-id")));
}

TEST_CASE("a server_keygen est credential enrolls through /serverkeygen and imports the server's key into keyd") {
  std::string format = GENERATE(as<std::string>{}, "pkcs8", "pkcs1");
  INFO("--keygen-format " << format);
  EstServer est({"--keygen-format", format});
  CertdStack s(Config(est, "", "server_keygen = true\n"));
  std::string pem = JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}))["pem"];
  CHECK(Log(est, "/serverkeygen").size() == 1);
  CHECK(Log(est, "/simpleenroll").empty());
  std::string key_id = KeyIdInList(s, "device-id");
  REQUIRE(key_id == "device-key");
  RequireKeyMatches(s, key_id, pem);
  RequireOpensslVerifies(s, pem);

  // A signature made through keyd verifies with the cert's public key.
  auto cert = ChainOf(pem);
  EVP_PKEY* cert_pub = X509_get0_pubkey(cert.front().get());
  bool rsa = EVP_PKEY_get_base_id(cert_pub) == EVP_PKEY_RSA;
  CHECK(rsa == (format == "pkcs1"));  // the test server makes RSA keys for PKCS#1, EC for PKCS#8
  keyd::api::SignRequest req;
  req.key_handle = MUST(s.keyd_client->GetKeyPair(key_id));
  req.algorithm =
      rsa ? keyd::api::SignAlgorithm::kRsaPkcs1Sha256 : keyd::api::SignAlgorithm::kEcdsa;
  req.data = Sha256Of(ToBytes("proof of possession"));
  Bytes sig = MUST(s.keyd_client->Sign(req));
  CHECK(VerifyDigest(cert_pub, req.data, sig));

  // Enrolling again imports the new key under the next versioned id and deletes the old one.
  std::string again = JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}))["pem"];
  CHECK(again != pem);
  CHECK(KeyIdInList(s, "device-id") == "device-key-v2");
  RequireKeyMatches(s, "device-key-v2", again);
  CHECK_FALSE(s.keyd_client->GetKeyPair("device-key"));
  RequireOpensslVerifies(s, again);
}

TEST_CASE("edgectl cert reenroll renews over TLS with the current cert, rotating the key or keeping it") {
  EstServer est;
  CertdStack s(Config(est));
  std::string first = JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}))["pem"];

  std::string rotated = JsonOf(Edgectl(s, {"cert", "reenroll", "device-id", "--json"}))["pem"];
  CHECK(rotated != first);
  CHECK(MUST(s.client->Get("device-id")) == rotated);
  CHECK(KeyIdInList(s, "device-id") == "device-key-v2");
  RequireKeyMatches(s, "device-key-v2", rotated);
  CHECK_FALSE(s.keyd_client->GetKeyPair("device-key"));  // the replaced key is gone
  RequireOpensslVerifies(s, rotated);
  auto re = Log(est, "/simplereenroll");
  REQUIRE(re.size() == 1);
  CHECK(re[0]["client_subject"] == "CN=device-1");
  CHECK(re[0]["csr_subject"] == "CN=device-1");

  std::string kept = JsonOf(Edgectl(s, {"cert", "reenroll", "device-id", "--keep-key", "--json"}))["pem"];
  CHECK(kept != rotated);
  CHECK(KeyIdInList(s, "device-id") == "device-key-v2");
  RequireKeyMatches(s, "device-key-v2", kept);
  CHECK(MUST(s.client->Get("device-id")) == kept);

  std::string again = JsonOf(Edgectl(s, {"cert", "reenroll", "device-id", "--json"}))["pem"];
  CHECK(KeyIdInList(s, "device-id") == "device-key-v3");
  RequireKeyMatches(s, "device-key-v3", again);

  // The new record survives a certd restart.
  s.StartCertd();
  CHECK(KeyIdInList(s, "device-id") == "device-key-v3");
  CHECK(MUST(s.client->Get("device-id")) == again);
}

TEST_CASE("an EST server error is answered with its status and message and the old cert stays") {
  EstServer est({"--mode", "error500", "--mode-ops", "simplereenroll"});
  CertdStack s(Config(est));
  std::string first = JsonOf(Edgectl(s, {"cert", "enroll", "device-id", "--json"}))["pem"];

  RunResult failed = Edgectl(s, {"cert", "reenroll", "device-id"});
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Contains("500") && Catch::Contains("signer offline"));
  auto direct = s.client->Renew("device-id");
  REQUIRE_FALSE(direct);
  CHECK(direct.error().kind == ErrorKind::kUnavailable);  // 503: retryable
  CHECK(MUST(s.client->Get("device-id")) == first);
  CHECK(KeyIdInList(s, "device-id") == "device-key");
  RequireKeyMatches(s, "device-key", first);

  EstServer refusing({"--mode", "badreq"});
  CertdStack t(Config(refusing));
  RunResult refused = Edgectl(t, {"cert", "enroll", "device-id"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("400") && Catch::Contains("key too weak"));
  CHECK_FALSE(MUST(t.client->List()).size() > 0);
}

TEST_CASE("EST config errors name file:line:col and the key") {
  TempDir root;
  MUST(fs::MakeDirs(root.path() + "/etc/edgesec/certd", 0755));
  WriteText(root.path() + "/etc/edgesec/certd/config.toml",
            "[[credential]]\ncert_id = \"device-id\"\nmethod = \"est\"\n");
  RunResult r = Run({BinaryFromEnv("EDGESEC_EDGECTL"), "est", "cacerts", "--root", root.path()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("config.toml:3:") && Catch::Contains("url"));
  WriteText(root.path() + "/etc/edgesec/certd/config.toml", "[est]\nurl = \"http://plain\"\n");
  r = Run({BinaryFromEnv("EDGESEC_EDGECTL"), "est", "cacerts", "--root", root.path()});
  CHECK_THAT(r.err, Catch::Contains("config.toml:2:") && Catch::Contains("https://"));
  WriteText(root.path() + "/etc/edgesec/certd/config.toml",
            "[est]\nurl = \"https://est.example\"\nbootstrap_identity_cert = \"b\"\n");
  r = Run({BinaryFromEnv("EDGESEC_EDGECTL"), "est", "cacerts", "--root", root.path()});
  CHECK_THAT(r.err, Catch::Contains("bootstrap_identity_key"));
  WriteText(
      root.path() + "/etc/edgesec/certd/config.toml",
      "[est]\nurl = \"https://est.example\"\n[[credential]]\ncert_id = \"d\"\nmethod = \"est\"\n"
      "server_keygen = \"yes\"\n");
  r = Run({BinaryFromEnv("EDGESEC_EDGECTL"), "est", "cacerts", "--root", root.path()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("config.toml:6:") && Catch::Contains("server_keygen"));
}

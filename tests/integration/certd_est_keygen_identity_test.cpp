// certd + edgectl against the project's EST test server (tests/est/est_server.py), issue 11:
// - the renewal of a server_keygen credential goes through /serverkeygen again, authenticated by the
//   current cert, with a new server-made key imported into keyd under the next versioned id (the
//   old key deleted); keeping the key cannot be asked for;
// - an EST identity obtained with the bootstrap identity never takes the CN of the cert it enrolls.
#include <openssl/x509.h>

#include "common/x509/pem.hpp"
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

std::string PemOut(const RunResult& r) {
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out)["pem"].get<std::string>();
}

std::string Config(const EstServer& est, const std::string& est_extra, const std::string& cred_extra) {
  return "[est]\nurl = \"" + est.BaseUrl() + "\"\ntrusted_certs = [\"" + est.RootPem() + "\"]\n" + est_extra +
         "\n[[credential]]\ncert_id = \"device-id\"\nkey_id = \"device-key\"\nmethod = \"est\"\n"
         "common_name = \"device-1\"\nauto_renew = false\n" + cred_extra + "\n[edge_ca]\nquickstart = false\n";
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

X509Ptr LeafOf(const std::string& pem) {
  auto chain = MUST(edgesec::x509::ParsePemChain(pem));
  return std::move(chain.front());
}

// The leaf's serial as the EST test server logs it ("client_serial": uppercase hex, no leading 0).
std::string SerialHex(const std::string& pem) {
  X509Ptr leaf = LeafOf(pem);
  UniquePtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf.get()), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex;
  OPENSSL_free(hex);
  return out.substr(std::min(out.find_first_not_of('0'), out.size() - 1));
}

bool KeyMatches(CertdStack& s, const std::string& key_id, const std::string& pem) {
  auto pub = MUST(s.keyd_client->PublicKey(MUST(s.keyd_client->GetKeyPair(key_id))));
  return EVP_PKEY_eq(X509_get0_pubkey(LeafOf(pem).get()), pub.get()) == 1;
}

}  // namespace

TEST_CASE("renewing a server_keygen credential asks /serverkeygen again with the current cert and imports the new key") {
  EstServer est;
  CertdStack s(Config(est, "", "server_keygen = true\n"));
  std::string first = PemOut(Edgectl(s, {"cert", "enroll", "device-id", "--json"}));
  REQUIRE(KeyMatches(s, "device-key", first));

  std::string renewed = PemOut(Edgectl(s, {"cert", "renew", "device-id", "--json"}));
  auto keygens = Log(est, "/serverkeygen");
  REQUIRE(keygens.size() == 2);
  CHECK(keygens[1]["client_serial"] == SerialHex(first));  // authenticated by the current cert
  CHECK(Log(est, "/simplereenroll").empty());
  CHECK(renewed != first);
  CHECK(KeyMatches(s, "device-key-v2", renewed));
  CHECK_FALSE(s.keyd_client->GetKeyPair("device-key"));  // the replaced key is deleted
  CHECK(MUST(s.client->Get("device-id")) == renewed);

  RunResult keep = Edgectl(s, {"cert", "reenroll", "device-id", "--keep-key"});
  CHECK(keep.exit_code == 1);
  CHECK_THAT(keep.err, Catch::Contains("server_keygen") && Catch::Contains("--keep-key"));
  CHECK(Log(est, "/serverkeygen").size() == 2);
  CHECK(MUST(s.client->Get("device-id")) == renewed);
}

TEST_CASE("an EST identity obtained with the bootstrap identity never takes the CN of the cert it enrolls") {
  TempDir tmp;
  EvpPkeyPtr ca_key = GenerateKey("ec-p256");
  X509Ptr ca = MakeCert({.cn = "Bootstrap CA", .ca = true, .key_usage = "critical,keyCertSign,cRLSign",
                         .key = ca_key.get()});
  WriteText(tmp.path() + "/bootstrap-ca.pem", Pem(ca.get()));
  EstServer est({"--client-ca", tmp.path() + "/bootstrap-ca.pem", "--require-client-cert"});
  std::string identity = "bootstrap_identity_cert = \"bootstrap\"\nbootstrap_identity_key = \"bootstrap-key\"\n"
                         "identity_cert = \"est-identity\"\nidentity_key = \"est-identity-key\"\n";
  bool same_cn = GENERATE(false, true);
  CertdStack s(Config(est, identity + (same_cn ? "identity_common_name = \"device-1\"\n" : ""), ""));
  EvpPkeyPtr boot_key = GenerateKey("ec-p256");
  X509Ptr boot = MakeCert({.cn = "bootstrap-device", .key = boot_key.get(), .issuer = ca.get(),
                           .issuer_key = ca_key.get()});
  MUST(s.keyd_client->ImportKeyPair("bootstrap-key", MUST(PrivateKeyToPkcs8Der(boot_key.get()))));
  MUST(s.client->Import("bootstrap", Pem(boot.get())));

  RunResult r = Edgectl(s, {"cert", "enroll", "device-id", "--json"});
  auto enrolls = Log(est, "/simpleenroll");
  if (!same_cn) {
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(enrolls.size() == 2);
    CHECK(enrolls[0]["client_subject"] == "CN=bootstrap-device");
    CHECK(enrolls[0]["csr_subject"] == "CN=est-id-device-1");  // the default: not the device's CN
    CHECK(enrolls[1]["client_subject"] == "CN=est-id-device-1");
    CHECK(enrolls[1]["csr_subject"] == "CN=device-1");
  } else {
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("identity_common_name 'device-1' is the CN of cert 'device-id'"));
    CHECK(enrolls.empty());  // refused before anything reached the server
  }
}

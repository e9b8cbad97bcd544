// edgectl cert show names the keyd engine that holds the cert's key (keyd's POST /parameters/engine
// with the handle of GET /keypair/{keyId}), and edgectl cert delete of a preloaded cert fails with
// certd's reason.
#include "common/fs.hpp"
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

}  // namespace

TEST_CASE("edgectl cert show says which engine holds the key of a credential's cert") {
  CertdStack s(
      "[[credential]]\ncert_id = \"dev\"\nkey_id = \"dev-key\"\nmethod = \"self_signed\"\n"
      "auto_renew = false\n" + kNoQuickstart);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  MUST(s.keyd_client->ImportKeyPair("dev-key", MUST(PrivateKeyToPkcs8Der(key.get()))));
  MUST(s.client->Import("dev", Pem(MakeCert({.cn = "dev", .key = key.get()}).get())));
  RunResult json = Edgectl(s, {"cert", "show", "dev", "--json"});
  INFO(json.out << json.err);
  REQUIRE(json.exit_code == 0);
  Json shown = Json::parse(json.out);
  CHECK(shown["keyId"] == "dev-key");
  CHECK(shown["engine"] == "file");
  RunResult text = Edgectl(s, {"cert", "show", "dev"});
  CHECK_THAT(text.out, Catch::Contains("keyd key 'dev-key' in the file engine"));

  // A cert no credential names: no key id, no engine, and show still works.
  MUST(s.client->Import("other", Pem(MakeCert({.cn = "other", .key = key.get()}).get())));
  Json other = Json::parse(Edgectl(s, {"cert", "show", "other", "--json"}).out);
  CHECK(other["keyId"] == "");
  CHECK(other["engine"] == "");
}

TEST_CASE("edgectl cert delete of a preloaded cert fails and names the file") {
  TempDir files;
  EvpPkeyPtr key = GenerateKey("ec-p256");
  std::string path = files.path() + "/pre.pem";
  WriteText(path, Pem(MakeCert({.cn = "pre", .key = key.get()}).get()));
  CertdStack s("[preloaded_certs]\npre = \"file://" + path + "\"\n" + kNoQuickstart);
  RunResult r = Edgectl(s, {"cert", "delete", "pre"});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err + r.out, Catch::Contains("preloaded from '" + path + "'"));
  CHECK(fs::Exists(path));
  MUST(s.client->Get("pre"));
}

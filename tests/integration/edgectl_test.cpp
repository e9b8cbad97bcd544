// edgectl as an operator runs it: up/down (idempotent), key create|list|show|sign with and without
// --json, --help everywhere, exit codes 0 / 1 / 2 (DESIGN.md, "Running it").
#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

RunResult Edgectl(std::vector<std::string> args) {
  args.insert(args.begin(), BinaryFromEnv("EDGESEC_EDGECTL"));
  return Run(args);
}

// Parses stdout as JSON, failing the test otherwise.
Json JsonOut(const RunResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  Json j = Json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

// `edgectl down` on scope exit, so that a failing test never leaves a keyd behind.
struct UpGuard {
  std::string root;
  ~UpGuard() { Edgectl({"down", "--root", root}); }
};

bool KeydAnswers(const std::string& root) {
  http::UnixClient client(root + "/run/edgesec/keyd.sock", 2000);
  auto r = client.Send("GET", "/version?api-version=2020-09-01");
  return r && r->status == 200;
}

}  // namespace

TEST_CASE("edgectl up and down start and stop keyd, certd and identityd and are idempotent") {
  TempDir dir;
  UpGuard guard{dir.path()};
  RunResult up = Edgectl({"up", "--root", dir.path()});
  INFO(up.out << up.err);
  CHECK(up.exit_code == 0);
  CHECK_THAT(up.out, Catch::Contains("keyd: started"));
  CHECK_THAT(up.out, Catch::Contains("certd: started"));
  CHECK_THAT(up.out, Catch::Contains("identityd: started"));
  CHECK_THAT(up.out, Catch::Contains("export EDGESEC_KEYD_SOCKET=" + dir.path() + "/run/edgesec/keyd.sock "));
  CHECK(KeydAnswers(dir.path()));
  CHECK(ReadTextFile(dir.path() + "/var/log/edgesec/keyd.log").find("keyd ready") != std::string::npos);

  RunResult again = Edgectl({"--root", dir.path(), "up"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("already running"));
  CHECK(JsonOut(Edgectl({"up", "--json", "--root", dir.path()})) == (Json{{"keyd", "already running"}, {"certd", "already running"},
                {"identityd", "already running"}}));

  // The daemons it started serve edgectl's own commands.
  CHECK(Edgectl({"key", "create", "up-key", "--root", dir.path()}).exit_code == 0);

  RunResult down = Edgectl({"down", "--root", dir.path()});
  INFO(down.out << down.err);
  CHECK(down.exit_code == 0);
  CHECK_THAT(down.out, Catch::Contains("keyd: stopped"));
  CHECK_THAT(down.out, Catch::Contains("certd: stopped"));
  CHECK_THAT(down.out, Catch::Contains("identityd: stopped"));
  CHECK_FALSE(KeydAnswers(dir.path()));
  RunResult down_again = Edgectl({"down", "--root", dir.path()});
  CHECK(down_again.exit_code == 0);
  CHECK_THAT(down_again.out, Catch::Contains("not running"));
  CHECK(JsonOut(Edgectl({"down", "--root", dir.path(), "--json"})) == (Json{{"keyd", "not running"}, {"certd", "not running"},
                {"identityd", "not running"}}));

  // Up again on the same root: the key made before is still there.
  CHECK(Edgectl({"up", "--root", dir.path()}).exit_code == 0);
  Json shown = JsonOut(Edgectl({"key", "show", "up-key", "--json", "--root", dir.path()}));
  CHECK(shown["keyId"] == "up-key");
}

TEST_CASE("edgectl key create, list and show, as text and as JSON") {
  Keyd k;
  const std::string root = k.dir();
  RunResult created = Edgectl({"--root", root, "key", "create", "ec-key"});
  INFO(created.out << created.err);
  CHECK(created.exit_code == 0);
  CHECK_THAT(created.out, Catch::Contains("ec-key") && Catch::Contains("ec-p256") && Catch::Contains("file"));

  Json rsa = JsonOut(Edgectl({"key", "create", "rsa-key", "--alg", "rsa-3072:ec-p256", "--json", "--root", root}));
  CHECK(rsa["keyId"] == "rsa-key");
  CHECK(rsa["algorithm"] == "rsa-3072");
  CHECK(rsa["engine"] == "file");
  CHECK(rsa["securityLevel"] == "SL0");
  // The handle it prints is a real keyd handle.
  CHECK(MUST(k.client.GetParameter(rsa["keyHandle"].get<std::string>(), "algorithm")) == "RSA");
  JsonOut(Edgectl({"key", "create", "ed-key", "--alg=ed25519", "--json", "--root", root}));

  Json list = JsonOut(Edgectl({"key", "list", "--json", "--root", root}));
  std::map<std::string, std::string> algorithms;
  for (const Json& key : list["keys"]) algorithms[key["keyId"].get<std::string>()] = key["algorithm"].get<std::string>();
  CHECK(algorithms == std::map<std::string, std::string>{{"ec-key", "ec-p256"}, {"ed-key", "ed25519"}, {"rsa-key", "rsa-3072"}});
  RunResult text_list = Edgectl({"key", "list", "--root", root});
  CHECK(text_list.exit_code == 0);
  CHECK_THAT(text_list.out, Catch::Contains("KEY ID") && Catch::Contains("rsa-key") && Catch::Contains("rsa-3072"));

  Json shown = JsonOut(Edgectl({"key", "show", "ec-key", "--json", "--root", root}));
  std::string expected_pem = PublicPem(MUST(k.client.PublicKey(MUST(k.client.GetKeyPair("ec-key")))).get());
  CHECK(shown["publicKey"] == expected_pem);
  CHECK(shown["algorithm"] == "ec-p256");
  RunResult text_show = Edgectl({"key", "show", "ec-key", "--root", root});
  CHECK(text_show.exit_code == 0);
  CHECK_THAT(text_show.out, Catch::Contains(expected_pem) && Catch::Contains("SL0"));
}

TEST_CASE("a signature from edgectl key sign verifies with openssl dgst") {
  Keyd k;
  const std::string root = k.dir();
  for (const char* alg : {"ec-p256", "rsa-2048"}) {
    INFO(alg);
    std::string id = std::string("signer-") + alg;
    REQUIRE(Edgectl({"key", "create", id, "--alg", alg, "--root", root}).exit_code == 0);
    Json shown = JsonOut(Edgectl({"key", "show", id, "--json", "--root", root}));
    WriteBinaryFile(root + "/pub.pem", ToBytes(shown["publicKey"].get<std::string>()));
    WriteBinaryFile(root + "/data.txt", ToBytes("firmware image 1.2.3"));

    RunResult sign = Edgectl({"key", "sign", id, "--data-file", root + "/data.txt", "--out", root + "/sig.bin", "--root", root});
    INFO(sign.out << sign.err);
    REQUIRE(sign.exit_code == 0);
    CHECK_THAT(sign.out, Catch::Contains("written to"));
    RunResult verify = Run({"openssl", "dgst", "-sha256", "-verify", root + "/pub.pem", "-signature", root + "/sig.bin",
                            root + "/data.txt"});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK_THAT(verify.out, Catch::Contains("Verified OK"));

    // --data and --json: the signature comes back in base64, over the same bytes.
    Json j = JsonOut(Edgectl({"--json", "key", "sign", id, "--data", "firmware image 1.2.3", "--root", root}));
    CHECK(j["keyId"] == id);
    EvpPkeyPtr pub = MUST(k.client.PublicKey(MUST(k.client.GetKeyPair(id))));
    CHECK(VerifyDigest(pub.get(), Sha256Of(ToBytes("firmware image 1.2.3")), Unb64(j["signature"].get<std::string>())));
    // Text mode prints the base64 signature.
    RunResult text = Edgectl({"key", "sign", id, "--data", "x", "--root", root});
    CHECK(text.exit_code == 0);
    CHECK(VerifyDigest(pub.get(), Sha256Of(ToBytes("x")), Unb64(text.out.substr(0, text.out.find('\n')))));
  }
  // PSS on request.
  Json pss = JsonOut(Edgectl({"key", "sign", "signer-rsa-2048", "--alg", "RSA-PSS-SHA256", "--data", "p", "--json", "--root", root}));
  EvpPkeyPtr rsa = MUST(k.client.PublicKey(MUST(k.client.GetKeyPair("signer-rsa-2048"))));
  CHECK(VerifyDigest(rsa.get(), Sha256Of(ToBytes("p")), Unb64(pss["signature"].get<std::string>()), RsaScheme::kPss));
}

TEST_CASE("--help on every command exits 0 and prints its usage") {
  const std::vector<std::vector<std::string>> commands = {
      {}, {"up"}, {"down"}, {"key", "create"}, {"key", "list"}, {"key", "show"}, {"key", "sign"}};
  for (const auto& words : commands) {
    for (const char* flag : {"--help", "-h"}) {
      std::vector<std::string> args = words;
      args.push_back(flag);
      RunResult r = Edgectl(args);
      INFO("edgectl " << (words.empty() ? "" : words[0] + (words.size() > 1 ? " " + words[1] : "")) << " " << flag);
      CHECK(r.exit_code == 0);
      CHECK_THAT(r.out, Catch::StartsWith("Usage: edgectl"));
      if (words.size() == 2) CHECK_THAT(r.out, Catch::Contains(words[0] + " " + words[1]));
      CHECK(r.err.empty());
    }
  }
  RunResult sign_help = Edgectl({"key", "sign", "--help"});
  CHECK_THAT(sign_help.out, Catch::Contains("--data-file") && Catch::Contains("--out") && Catch::Contains("--alg"));
  RunResult top = Edgectl({"--help"});
  CHECK_THAT(top.out, Catch::Contains("key sign") && Catch::Contains("up") && Catch::Contains("--root"));
  // A group's --help lists that group's commands only.
  RunResult group = Edgectl({"cert", "--help"});
  CHECK(group.exit_code == 0);
  CHECK_THAT(group.out, Catch::Contains("cert renew") && Catch::Contains("cert list"));
  CHECK_THAT(group.out, !Catch::Contains("key sign"));
}

TEST_CASE("usage errors exit 2 with a message on stderr") {
  Keyd k;
  MUST(k.client.CreateKeyPairIfNotExists("k"));
  const std::vector<std::vector<std::string>> cases = {
      {"frobnicate"},
      {"frobnicate", "--help"},
      {"key", "explode", "k"},
      {"key", "list", "--bogus"},
      {"key", "show"},
      {"key", "show", "a", "b"},
      {"key", "create", "k", "--alg"},
      {"key", "sign", "k"},
      {"key", "sign", "k", "--data", "x", "--alg", "DSA"},
      {"--log-level", "loud", "key", "list"},
      {"key", "list", "--root"},
      {},
  };
  for (auto args : cases) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    INFO("edgectl " << shown);
    if (args.empty() || args.back() != "--root") {
      args.push_back("--root");
      args.push_back(k.dir());
    }
    RunResult r = Edgectl(args);
    CHECK(r.exit_code == 2);
    if (!args.empty() && args[0] != "--root") CHECK_FALSE(r.err.empty());
  }
  CHECK(MUST(k.client.ListKeyPairs()).size() == 1);
}

TEST_CASE("a failing call exits 1 with the reason on stderr") {
  Keyd k;
  RunResult missing = Edgectl({"key", "show", "no-such-key", "--root", k.dir()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.empty());
  CHECK_THAT(missing.err, Catch::StartsWith("edgectl: ") && Catch::Contains("no-such-key") && Catch::Contains("does not exist"));

  RunResult bad_alg = Edgectl({"key", "create", "k", "--alg", "ec-p999", "--root", k.dir()});
  CHECK(bad_alg.exit_code == 1);
  CHECK_THAT(bad_alg.err, Catch::Contains("ec-p999"));

  RunResult bad_id = Edgectl({"key", "create", "bad/id", "--root", k.dir()});
  CHECK(bad_id.exit_code == 1);
  CHECK_THAT(bad_id.err, Catch::Contains("invalid key id"));

  RunResult sign_missing = Edgectl({"key", "sign", "absent", "--data", "x", "--root", k.dir()});
  CHECK(sign_missing.exit_code == 1);
  CHECK_THAT(sign_missing.err, Catch::Contains("absent"));

  // Nobody listening: a failure too, not a usage error.
  TempDir empty;
  RunResult unreachable = Edgectl({"key", "list", "--root", empty.path()});
  CHECK(unreachable.exit_code == 1);
  CHECK_THAT(unreachable.err, Catch::StartsWith("edgectl: "));
}

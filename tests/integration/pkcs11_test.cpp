// The pkcs11 engine against SoftHSM2 (tests/support/softhsm.hpp), checked with independent tools:
// opensc's pkcs11-tool sees the keys keyd made (label = key id, CKA_ID = SHA-256(id)[0..16]), and a key
// that pkcs11-tool made is usable by keyd through its pkcs11: URI in [preloaded_keys] (and read-only);
// the token going away and coming back, a wrong PIN, a wrong module path, a missing token; secret keys
// on the token compute what OpenSSL computes; a token key authenticates a TLS client to openssl
// s_server. Exits 77 (skip) when SoftHSM2 or pkcs11-tool is not installed.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "common/fs.hpp"
#include "keyd/client/remote_key.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/softhsm.hpp"
#include "tests/support/tls_peer.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using keyd::api::EncryptAlgorithm;
using keyd::api::SignAlgorithm;

namespace {

const bool kChecked = [] {
  if (!SoftHsm::Available() || ::access("/usr/bin/pkcs11-tool", X_OK) != 0) {
    std::fprintf(stderr, "\n*** SKIP: SoftHSM2 or opensc (pkcs11-tool) is not installed; scripts/deps.sh installs them ***\n\n");
    std::exit(77);
  }
  return true;
}();

// A SoftHSM2 token and keyd whose default engine is pkcs11 on it.
class TokenKeyd {
 public:
  explicit TokenKeyd(const std::string& extra_config = {}) : hsm_(dir_.path() + "/hsm") {
    Configure(hsm_.KeydSection() + extra_config);
    Start();
  }
  void Configure(const std::string& pkcs11_part) {
    REQUIRE(fs::MakeDirs(dir_.path() + "/etc/edgesec/keyd", 0755));
    REQUIRE(fs::AtomicWriteFile(dir_.path() + "/etc/edgesec/keyd/config.toml", "default_engine = \"pkcs11\"\n" + pkcs11_part, 0600));
  }
  void Start() {
    keyd_ = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_KEYD"), dir_.path(), dir_.path() + "/run/edgesec/keyd.sock");
    client_ = std::make_shared<keyd::KeydClient>(keyd_->socket());
  }
  void Stop() {
    client_.reset();
    if (keyd_) REQUIRE(keyd_->Stop() == 0);
    keyd_.reset();
  }
  // Runs keyd in the foreground with the current config; for configs that must stop it at start.
  RunResult StartExpectingFailure() {
    return Run({"timeout", "20", BinaryFromEnv("EDGESEC_KEYD"), "--root", dir_.path()});
  }
  RunResult Tool(std::vector<std::string> args) {
    std::vector<std::string> argv = {"pkcs11-tool", "--module", SoftHsm::ModulePath(), "--login", "--pin", hsm_.pin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv);
  }
  keyd::KeydClient& client() { return *client_; }
  std::shared_ptr<keyd::KeydClient> shared_client() { return client_; }
  SoftHsm& hsm() { return hsm_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  SoftHsm hsm_;
  std::unique_ptr<DaemonProcess> keyd_;
  std::shared_ptr<keyd::KeydClient> client_;
};

bool SignsAndVerifies(keyd::KeydClient& c, const std::string& handle) {
  EvpPkeyPtr pub = MUST(c.PublicKey(handle));
  Bytes digest = Sha256Of(ToBytes("signed on the token"));
  bool ec = EVP_PKEY_get_base_id(pub.get()) == EVP_PKEY_EC;
  auto sig = c.Sign(keyd::api::SignRequest{handle, ec ? SignAlgorithm::kEcdsa : SignAlgorithm::kRsaPkcs1Sha256, digest});
  if (!sig) WARN(sig.error().Describe());
  return sig && VerifyDigest(pub.get(), digest, *sig);
}

}  // namespace

TEST_CASE("a key pair keyd creates on the token is what pkcs11-tool lists: label = key id, CKA_ID = SHA-256(id)[0..16]",
          "[pkcs11]") {
  TokenKeyd k;
  MUST(k.client().CreateKeyPairIfNotExists("device-id", std::string("ec-p256")));
  MUST(k.client().CreateKeyPairIfNotExists("rsa-key", std::string("rsa-2048")));
  RunResult listed = k.Tool({"--list-objects"});
  INFO(listed.out << listed.err);
  REQUIRE(listed.exit_code == 0);
  for (const std::string id : {"device-id", "rsa-key"}) {
    Bytes digest = Sha256Of(ToBytes(id));
    std::string cka_id = HexLower(Bytes(digest.begin(), digest.begin() + 16));
    std::string block = "label:      " + id + "\n  ID:         " + cka_id;
    CHECK(listed.out.find("Private Key Object; " + std::string(id == "device-id" ? "EC" : "RSA")) != std::string::npos);
    // Both the private and the public object carry them.
    size_t first = listed.out.find(block);
    REQUIRE(first != std::string::npos);
    CHECK(listed.out.find(block, first + 1) != std::string::npos);
  }
  // The private key never leaves the token.
  CHECK(listed.out.find("never extractable") != std::string::npos);
}

TEST_CASE("a key pkcs11-tool made is usable through its pkcs11: URI in [preloaded_keys], and read-only", "[pkcs11]") {
  TokenKeyd k;
  k.Stop();
  RunResult made = k.Tool({"--keypairgen", "--key-type", "EC:prime256v1", "--label", "integrator key", "--id", "a1b2c3"});
  INFO(made.out << made.err);
  REQUIRE(made.exit_code == 0);
  RunResult rsa = k.Tool({"--keypairgen", "--key-type", "rsa:2048", "--label", "integrator-rsa", "--id", "0d0e"});
  REQUIRE(rsa.exit_code == 0);
  k.Configure(k.hsm().KeydSection() + "[preloaded_keys]\n"
              "ext-ec = \"pkcs11:token=" + k.hsm().label() + ";object=integrator%20key;id=%a1%b2%c3;type=private\"\n"
              "ext-rsa = \"pkcs11:object=integrator-rsa\"\n");
  k.Start();
  std::string ec = MUST(k.client().GetKeyPair("ext-ec"));
  std::string rsa_handle = MUST(k.client().GetKeyPair("ext-rsa"));
  CHECK(SignsAndVerifies(k.client(), ec));
  CHECK(SignsAndVerifies(k.client(), rsa_handle));
  CHECK(MUST(k.client().GetParameter(ec, "engine")) == "pkcs11");

  // The integrator's keys are never deleted, moved, replaced or overwritten.
  CHECK(MustFail(k.client().DeleteKeyPair(ec)).kind == ErrorKind::kInvalidParameter);
  MUST(k.client().CreateKeyPairIfNotExists("mine", std::string("ec-p256")));
  CHECK(MustFail(k.client().MoveKeyPair("mine", "ext-ec")).kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client().MoveKeyPair("ext-ec", "elsewhere")).kind == ErrorKind::kInvalidParameter);
  EvpPkeyPtr local = GenerateKey("ec-p256");
  CHECK(MustFail(k.client().ImportKeyPair("ext-ec", MUST(PrivateKeyToPkcs8Der(local.get())))).kind ==
        ErrorKind::kInvalidParameter);
  CHECK(SignsAndVerifies(k.client(), ec));
  RunResult listed = k.Tool({"--list-objects", "--type", "privkey"});
  CHECK(listed.out.find("label:      integrator key") != std::string::npos);
}

TEST_CASE("a token that goes away and comes back: keyd reopens the module and signs again", "[pkcs11]") {
  TokenKeyd k;
  std::string handle = MUST(k.client().CreateKeyPairIfNotExists("survivor", std::string("ec-p256")));
  REQUIRE(SignsAndVerifies(k.client(), handle));
  k.hsm().RemoveToken();
  Bytes digest = Sha256Of(ToBytes("while away"));
  auto away = k.client().Sign(keyd::api::SignRequest{handle, SignAlgorithm::kEcdsa, digest});
  CHECK_FALSE(away.has_value());  // an error, not a crash and not a signature from elsewhere
  k.hsm().RestoreToken();
  CHECK(SignsAndVerifies(k.client(), handle));
  // Away and back between two requests: the next request still works.
  k.hsm().RemoveToken();
  k.hsm().RestoreToken();
  CHECK(SignsAndVerifies(k.client(), handle));
  // And with requests in flight on several threads.
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      keyd::KeydClient c(k.dir() + "/run/edgesec/keyd.sock");
      for (int i = 0; i < 10; ++i) good += SignsAndVerifies(c, handle) ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  CHECK(good == 80);
}

TEST_CASE("keyd refuses to start with a wrong PIN, a wrong module path or a missing token, never showing the PIN",
          "[pkcs11]") {
  TokenKeyd k;
  k.Stop();
  const std::string lib = SoftHsm::ModulePath();
  struct Case {
    const char* name;
    std::string section;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"wrong PIN", "[pkcs11]\nlib_path = \"" + lib + "\"\nbase_slot = \"pkcs11:token=" + k.hsm().label() + "?pin-value=secret-wrong-pin-9137\"\n",
       "PIN is wrong"},
      {"wrong module path", "[pkcs11]\nlib_path = \"/usr/lib/nonexistent/libnothing.so\"\nbase_slot = \"pkcs11:token=" + k.hsm().label() + "?pin-value=secret-wrong-pin-9137\"\n",
       "/usr/lib/nonexistent/libnothing.so"},
      {"not a PKCS#11 module", "[pkcs11]\nlib_path = \"/usr/lib/x86_64-linux-gnu/libz.so.1\"\nbase_slot = \"pkcs11:token=x?pin-value=secret-wrong-pin-9137\"\n",
       "not a PKCS#11 module"},
      {"missing token", "[pkcs11]\nlib_path = \"" + lib + "\"\nbase_slot = \"pkcs11:token=no-such-token?pin-value=secret-wrong-pin-9137\"\n",
       "no-such-token"},
      {"unreadable pin-source", "[pkcs11]\nlib_path = \"" + lib + "\"\nbase_slot = \"pkcs11:token=" + k.hsm().label() + "?pin-source=file:/nonexistent/pin\"\n",
       "/nonexistent/pin"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      k.Configure(c.section);
      RunResult r = k.StartExpectingFailure();
      INFO(r.err);
      CHECK(r.exit_code == 1);
      CHECK(r.err.find(c.expected) != std::string::npos);
      CHECK(r.err.find("secret-wrong-pin-9137") == std::string::npos);
      CHECK(r.err.find(k.hsm().pin()) == std::string::npos);
    }
  }
  SECTION("and starts with the right PIN from a pin-source file") {
    REQUIRE(fs::AtomicWriteFile(k.dir() + "/pin", k.hsm().pin() + "\n", 0600));
    k.Configure("[pkcs11]\nlib_path = \"" + lib + "\"\nbase_slot = \"pkcs11:token=" + k.hsm().label() +
                "?pin-source=file:" + k.dir() + "/pin\"\n");
    k.Start();
    CHECK(SignsAndVerifies(k.client(), MUST(k.client().CreateKeyPairIfNotExists("pin-file", std::string("ec-p256")))));
  }
}

TEST_CASE("secret keys on the token: AES-256-GCM and HMAC-SHA256 agree with OpenSSL; mixed usage is refused", "[pkcs11]") {
  TokenKeyd k;
  Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 7 + 1);
  std::string aes = MUST(k.client().CreateKey(keyd::api::CreateKeyRequest{"aes", EDGESEC_USAGE_ENCRYPT, key}));
  Bytes iv(12, 3), aad = ToBytes("aad"), plain = ToBytes("plaintext on the token");
  keyd::api::EncryptRequest e;
  e.key_handle = aes;
  e.algorithm = EncryptAlgorithm::kAead;
  e.iv = iv;
  e.aad = aad;
  e.data = plain;
  Bytes sealed = MUST(k.client().Encrypt(e));
  CHECK(sealed == AesGcmEncrypt(key, iv, aad, plain));
  e.data = sealed;
  CHECK(MUST(k.client().Decrypt(e)) == plain);
  e.data.back() ^= 1;
  CHECK(MustFail(k.client().Decrypt(e)).kind == ErrorKind::kInvalidParameter);

  std::string mac = MUST(k.client().CreateKey(keyd::api::CreateKeyRequest{"mac", EDGESEC_USAGE_SIGN, key}));
  Bytes message = ToBytes("message");
  CHECK(MUST(k.client().Sign(keyd::api::SignRequest{mac, SignAlgorithm::kHmacSha256, message})) == HmacSha256(key, message));
  std::string generated = MUST(k.client().CreateKey(keyd::api::CreateKeyRequest{"derive", EDGESEC_USAGE_DERIVE, std::nullopt}));
  std::string derived = MUST(k.client().DeriveKey(generated, ToBytes("data")));
  CHECK(MUST(k.client().ExportDerivedKey(derived)).size() == 32);
  Error mixed = MustFail(k.client().CreateKey(keyd::api::CreateKeyRequest{"both", EDGESEC_USAGE_ENCRYPT | EDGESEC_USAGE_SIGN, std::nullopt}));
  CHECK(mixed.kind == ErrorKind::kInvalidParameter);
  CHECK(mixed.message.find("create two keys") != std::string::npos);
  RunResult listed = k.Tool({"--list-objects", "--type", "secrkey"});
  CHECK(listed.out.find("label:      aes") != std::string::npos);
  // Nothing fell back to the file engine.
  std::string files = Run({"sh", "-c", "ls -A " + k.dir() + "/var/lib/edgesec/keyd/file/secrets 2>/dev/null | wc -l"}).out;
  CHECK(files == "0\n");
}

TEST_CASE("a token key authenticates a TLS client to openssl s_server -Verify 1", "[pkcs11][tls]") {
  TokenKeyd k;
  for (auto [algorithm, version] : {std::pair{"ec-p256", TLS1_3_VERSION}, std::pair{"rsa-2048", TLS1_2_VERSION},
                                    std::pair{"ec-p384", TLS1_2_VERSION}, std::pair{"rsa-3072", TLS1_3_VERSION}}) {
    SECTION(std::string(algorithm) + (version == TLS1_3_VERSION ? " TLS 1.3" : " TLS 1.2")) {
      TempDir dir;
      std::string handle = MUST(k.client().CreateKeyPairIfNotExists(std::string("tls-") + algorithm, std::string(algorithm)));
      EvpPkeyPtr key = MUST(keyd::LoadRemoteKey(k.shared_client(), handle));
      TlsClientAuthResult r = ConnectWithClientKey(dir.path(), key.get(), version);
      INFO("errors: " << r.errors << "\ns_server:\n" << r.server_log << "\npage:\n" << r.page);
      CHECK(r.handshake);
      CHECK(r.verified);
    }
  }
}

// The engine conformance suite: the same behaviour asked of every key engine, through the real keyd
// (its socket, its client library) with the engine's real backing store: files, a SoftHSM2 token in a
// temp SOFTHSM2_CONF, or swtpm. The engine comes from $EDGESEC_CONFORMANCE_ENGINE (file | pkcs11 | tpm);
// meson registers the program three times (conformance-file, conformance-pkcs11, conformance-tpm).
// For every algorithm the engine offers: create, sign with every mechanism and verify with OpenSSL,
// public parameters, reload after a keyd restart (same handles, same public keys), move, delete, 8
// threads signing at once, and bad input (wrong mechanism, forged handle, an algorithm the engine does
// not offer: 400, and nothing falls back to the file engine). Exits 77 (skip) when the engine's
// backing component is not installed, saying so loudly.
#include <dirent.h>
#include <openssl/rsa.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "common/fs.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/softhsm.hpp"
#ifdef EDGESEC_HAVE_SWTPM
#include "tests/support/swtpm.hpp"
#endif

using namespace edgesec;
using namespace edgesec::testing;
using keyd::api::EncryptAlgorithm;
using keyd::api::SignAlgorithm;

namespace {

std::string EngineName() {
  const char* e = std::getenv("EDGESEC_CONFORMANCE_ENGINE");
  return e != nullptr && *e != '\0' ? e : "file";
}

void Skip(const std::string& why) {
  std::fprintf(stderr, "\n*** SKIP conformance-%s: %s ***\n\n", EngineName().c_str(), why.c_str());
  std::exit(77);
}

// Decided before Catch2 runs anything: a missing component skips the whole program (exit 77).
const bool kChecked = [] {
  std::string engine = EngineName();
  if (engine == "pkcs11" && !SoftHsm::Available())
    Skip("SoftHSM2 is not installed (/usr/lib/softhsm/libsofthsm2.so, softhsm2-util); scripts/deps.sh installs it");
  if (engine == "tpm") {
#ifdef EDGESEC_HAVE_SWTPM
    if (!Swtpm::Available()) Skip("swtpm is not installed; scripts/deps.sh installs it");
#else
    Skip("tests/support/swtpm.hpp does not exist yet: the tpm fixture is missing, nothing was tested");
#endif
  }
  if (engine != "file" && engine != "pkcs11" && engine != "tpm") {
    std::fprintf(stderr, "unknown EDGESEC_CONFORMANCE_ENGINE '%s'\n", engine.c_str());
    std::exit(2);
  }
  return true;
}();

// What each engine offers, as DESIGN.md and the issue say.
std::vector<std::string> Algorithms(const std::string& engine) {
  if (engine == "file") return {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"};
  if (engine == "pkcs11") return {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
  return {"ec-p256", "rsa-2048"};
}

std::string ExpectedSecurityLevel(const std::string& engine) { return engine == "file" ? "SL0" : engine == "pkcs11" ? "SL0" : "SL2"; }

// The engine's backing component and keyd on a temp root whose config makes it the default engine.
class EngineKeyd {
 public:
  EngineKeyd() : engine_(EngineName()) {
    std::string config = "default_engine = \"" + engine_ + "\"\n";
    if (engine_ == "pkcs11") {
      hsm_ = std::make_unique<SoftHsm>(dir_.path() + "/hsm");
      config += hsm_->KeydSection();  // security_level = 0: SoftHSM2 is software
    }
#ifdef EDGESEC_HAVE_SWTPM
    if (engine_ == "tpm") {
      tpm_ = std::make_unique<Swtpm>(dir_.path() + "/tpm", false);
      config += "[tpm]\ntcti = \"" + tpm_->Tcti() + "\"\n";
    }
#endif
    REQUIRE(fs::MakeDirs(dir_.path() + "/etc/edgesec/keyd", 0755));
    REQUIRE(fs::AtomicWriteFile(dir_.path() + "/etc/edgesec/keyd/config.toml", config, 0600));
    Start();
  }
  void Start() {
    keyd_ = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_KEYD"), dir_.path(), dir_.path() + "/run/edgesec/keyd.sock");
    client_ = std::make_unique<keyd::KeydClient>(keyd_->socket());
  }
  void Restart() {
    client_.reset();
    REQUIRE(keyd_->Stop() == 0);
    keyd_.reset();
    Start();
  }
  keyd::KeydClient& client() { return *client_; }
  const std::string& engine() const { return engine_; }
  const std::string& dir() const { return dir_.path(); }
  std::string socket() const { return keyd_->socket(); }
  // Key files the file engine wrote: none may appear when another engine is the one configured.
  int FileEngineKeyCount() const {
    int n = 0;
    for (const char* sub : {"/keypairs", "/secrets"}) {
      DIR* d = ::opendir((dir_.path() + "/var/lib/edgesec/keyd/file" + sub).c_str());
      if (d == nullptr) continue;
      while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
      ::closedir(d);
    }
    return n;
  }

 private:
  std::string engine_;
  TempDir dir_;
  std::unique_ptr<SoftHsm> hsm_;
#ifdef EDGESEC_HAVE_SWTPM
  std::unique_ptr<Swtpm> tpm_;
#endif
  std::unique_ptr<DaemonProcess> keyd_;
  std::unique_ptr<keyd::KeydClient> client_;
};

Bytes Sign(keyd::KeydClient& c, const std::string& handle, SignAlgorithm a, const Bytes& data) {
  keyd::api::SignRequest r;
  r.key_handle = handle;
  r.algorithm = a;
  r.data = data;
  return MUST(c.Sign(r));
}

// Signs with every mechanism that fits the key and verifies each signature with OpenSSL.
void SignAndVerifyAll(keyd::KeydClient& c, const std::string& algorithm, const std::string& handle, EVP_PKEY* pub) {
  Bytes message = ToBytes("conformance message for " + algorithm);
  if (algorithm == "ed25519") {
    CHECK(VerifyEd25519(pub, message, Sign(c, handle, SignAlgorithm::kEdDsa, message)));
    return;
  }
  if (algorithm.rfind("ec-", 0) == 0) {
    Bytes digest = algorithm == "ec-p384" ? Sha384Of(message) : Sha256Of(message);
    Bytes sig = Sign(c, handle, SignAlgorithm::kEcdsa, digest);
    CHECK(VerifyDigest(pub, digest, sig));
    Bytes other = Sha256Of(ToBytes("another message"));
    CHECK_FALSE(VerifyDigest(pub, other, sig));
    return;
  }
  Bytes digest = Sha256Of(message);
  CHECK(VerifyDigest(pub, digest, Sign(c, handle, SignAlgorithm::kRsaPkcs1Sha256, digest), RsaScheme::kPkcs1));
  CHECK(VerifyDigest(pub, digest, Sign(c, handle, SignAlgorithm::kRsaPssSha256, digest), RsaScheme::kPss));
  size_t modulus = static_cast<size_t>(EVP_PKEY_get_size(pub));
  keyd::api::EncryptRequest raw;
  raw.key_handle = handle;
  raw.algorithm = EncryptAlgorithm::kRsaPkcs1;
  raw.data = ToBytes("raw PKCS#1 input");
  auto recovered = RsaRecover(pub, MUST(c.Encrypt(raw)), RSA_PKCS1_PADDING);
  REQUIRE(recovered);
  CHECK(*recovered == raw.data);
  raw.algorithm = EncryptAlgorithm::kRsaNoPadding;
  raw.data.assign(modulus, 0x11);
  raw.data[0] = 0x00;  // below the modulus
  auto plain = RsaRecover(pub, MUST(c.Encrypt(raw)), RSA_NO_PADDING);
  REQUIRE(plain);
  CHECK(*plain == raw.data);
}

std::string KeyId(const std::string& prefix, const std::string& algorithm) { return prefix + "-" + algorithm; }

}  // namespace

TEST_CASE("every algorithm of the engine: create, sign with every mechanism, OpenSSL verifies, parameters match",
          "[conformance]") {
  EngineKeyd k;
  for (const std::string& algorithm : Algorithms(k.engine())) {
    SECTION(algorithm) {
      std::string id = KeyId("conf", algorithm);
      std::string handle = MUST(k.client().CreateKeyPairIfNotExists(id, algorithm));
      EvpPkeyPtr pub = MUST(k.client().PublicKey(handle));
      CHECK(MUST(k.client().GetParameter(handle, "engine")) == k.engine());
      CHECK(MUST(k.client().GetParameter(handle, "security-level")) == ExpectedSecurityLevel(k.engine()));
      std::string family = MUST(k.client().GetParameter(handle, "algorithm"));
      CHECK(family == (algorithm.rfind("ec-", 0) == 0 ? "ECDSA" : algorithm == "ed25519" ? "EdDSA" : "RSA"));
      if (algorithm.rfind("rsa-", 0) == 0) CHECK(EVP_PKEY_get_bits(pub.get()) == std::stoi(algorithm.substr(4)));
      if (algorithm == "ec-p256") CHECK(Unb64(MUST(k.client().GetParameter(handle, "ec-curve-oid"))) == CurveOidDer(NID_X9_62_prime256v1));
      if (algorithm == "ec-p384") CHECK(Unb64(MUST(k.client().GetParameter(handle, "ec-curve-oid"))) == CurveOidDer(NID_secp384r1));
      SignAndVerifyAll(k.client(), algorithm, handle, pub.get());
      // Creating again returns the same key, not a new one.
      std::string again = MUST(k.client().CreateKeyPairIfNotExists(id, algorithm));
      CHECK(PublicPem(MUST(k.client().PublicKey(again)).get()) == PublicPem(pub.get()));
      bool listed = false;
      for (const auto& info : MUST(k.client().ListKeyPairs()))
        if (info.key_id == id) listed = info.engine == k.engine() && info.algorithm == algorithm;
      CHECK(listed);
    }
  }
  if (k.engine() != "file") CHECK(k.FileEngineKeyCount() == 0);
}

TEST_CASE("keys survive a keyd restart: the same handles sign and the public keys are the same", "[conformance]") {
  EngineKeyd k;
  std::map<std::string, std::pair<std::string, std::string>> before;  // algorithm → handle, public PEM
  for (const std::string& algorithm : Algorithms(k.engine())) {
    std::string handle = MUST(k.client().CreateKeyPairIfNotExists(KeyId("restart", algorithm), algorithm));
    before[algorithm] = {handle, PublicPem(MUST(k.client().PublicKey(handle)).get())};
  }
  k.Restart();
  for (const auto& [algorithm, old] : before) {
    INFO(algorithm);
    EvpPkeyPtr pub = MUST(k.client().PublicKey(old.first));
    CHECK(PublicPem(pub.get()) == old.second);
    CHECK(MUST(k.client().GetKeyPair(KeyId("restart", algorithm))).size() > 0);
    SignAndVerifyAll(k.client(), algorithm, old.first, pub.get());
  }
}

TEST_CASE("move renames a key pair, replacing the target; delete removes it", "[conformance]") {
  EngineKeyd k;
  std::string algorithm = Algorithms(k.engine()).front();
  std::string a = MUST(k.client().CreateKeyPairIfNotExists("move-a", algorithm));
  std::string b = MUST(k.client().CreateKeyPairIfNotExists("move-b", algorithm));
  std::string a_pem = PublicPem(MUST(k.client().PublicKey(a)).get());
  CHECK(a_pem != PublicPem(MUST(k.client().PublicKey(b)).get()));
  MUST(k.client().MoveKeyPair("move-a", "move-b"));
  CHECK(MustFail(k.client().GetKeyPair("move-a")).kind == ErrorKind::kNotFound);
  std::string moved = MUST(k.client().GetKeyPair("move-b"));
  EvpPkeyPtr pub = MUST(k.client().PublicKey(moved));
  CHECK(PublicPem(pub.get()) == a_pem);  // move-b is now what move-a was
  SignAndVerifyAll(k.client(), algorithm, moved, pub.get());
  // Moving a key that does not exist is 404 and leaves the target alone.
  CHECK(MustFail(k.client().MoveKeyPair("move-none", "move-b")).kind == ErrorKind::kNotFound);
  CHECK(PublicPem(MUST(k.client().PublicKey(moved)).get()) == a_pem);

  MUST(k.client().DeleteKeyPair(moved));
  CHECK(MustFail(k.client().GetKeyPair("move-b")).kind == ErrorKind::kNotFound);
  keyd::api::SignRequest r{moved, SignAlgorithm::kEcdsa, Sha256Of(ToBytes("x"))};
  CHECK(MustFail(k.client().Sign(r)).kind == ErrorKind::kNotFound);
  for (const auto& info : MUST(k.client().ListKeyPairs())) CHECK(info.key_id.rfind("move-", 0) != 0);
  // After a restart the deleted key stays deleted.
  k.Restart();
  CHECK(MustFail(k.client().GetKeyPair("move-b")).kind == ErrorKind::kNotFound);
}

TEST_CASE("8 threads sign at once with every algorithm and every signature verifies", "[conformance]") {
  EngineKeyd k;
  std::vector<std::string> algorithms = Algorithms(k.engine());
  std::vector<std::string> handles;
  std::vector<EvpPkeyPtr> pubs;
  for (const auto& algorithm : algorithms) {
    handles.push_back(MUST(k.client().CreateKeyPairIfNotExists(KeyId("threads", algorithm), algorithm)));
    pubs.push_back(MUST(k.client().PublicKey(handles.back())));
  }
  std::atomic<int> good{0}, bad{0};
  std::vector<std::string> errors(8);
  std::vector<std::thread> threads;
  constexpr int kPerThread = 12;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      keyd::KeydClient client(k.socket());
      for (int i = 0; i < kPerThread; ++i) {
        size_t which = static_cast<size_t>(t + i) % algorithms.size();
        const std::string& algorithm = algorithms[which];
        Bytes message = ToBytes("thread " + std::to_string(t) + " message " + std::to_string(i));
        keyd::api::SignRequest r;
        r.key_handle = handles[which];
        bool ec = algorithm.rfind("ec-", 0) == 0;
        r.algorithm = algorithm == "ed25519" ? SignAlgorithm::kEdDsa : ec ? SignAlgorithm::kEcdsa : SignAlgorithm::kRsaPssSha256;
        r.data = algorithm == "ed25519" ? message : Sha256Of(message);
        auto sig = client.Sign(r);
        bool ok = sig && (algorithm == "ed25519" ? VerifyEd25519(pubs[which].get(), message, *sig)
                                                 : VerifyDigest(pubs[which].get(), r.data, *sig, RsaScheme::kPss));
        (ok ? good : bad)++;
        if (!sig) errors[t] = sig.error().Describe();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) if (!e.empty()) WARN(e);
  CHECK(bad == 0);
  CHECK(good == 8 * kPerThread);
}

TEST_CASE("bad input is refused with 400 and nothing falls back to the file engine", "[conformance]") {
  EngineKeyd k;
  std::vector<std::string> algorithms = Algorithms(k.engine());
  std::string ec = MUST(k.client().CreateKeyPairIfNotExists("bad-ec", "ec-p256"));
  std::string rsa = MUST(k.client().CreateKeyPairIfNotExists("bad-rsa", "rsa-2048"));
  Bytes digest = Sha256Of(ToBytes("bad input"));

  SECTION("a mechanism that does not fit the key type") {
    for (auto [handle, algorithm] : {std::pair{ec, SignAlgorithm::kRsaPssSha256}, std::pair{ec, SignAlgorithm::kRsaPkcs1Sha256},
                                     std::pair{rsa, SignAlgorithm::kEcdsa}, std::pair{rsa, SignAlgorithm::kEdDsa},
                                     std::pair{ec, SignAlgorithm::kHmacSha256}}) {
      Error e = MustFail(k.client().Sign(keyd::api::SignRequest{handle, algorithm, digest}));
      CHECK(e.kind == ErrorKind::kInvalidParameter);
      CHECK(e.message.find("mechanism cannot be used with this key type") != std::string::npos);
    }
    keyd::api::EncryptRequest r;
    r.key_handle = ec;
    r.algorithm = EncryptAlgorithm::kRsaNoPadding;
    r.data = Bytes(32, 1);
    CHECK(MustFail(k.client().Encrypt(r)).kind == ErrorKind::kInvalidParameter);
  }
  SECTION("a forged or altered handle") {
    std::string forged = ec;
    forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
    CHECK(MustFail(k.client().Sign(keyd::api::SignRequest{forged, SignAlgorithm::kEcdsa, digest})).kind ==
          ErrorKind::kInvalidParameter);
    CHECK(MustFail(k.client().Sign(keyd::api::SignRequest{"not-a-handle", SignAlgorithm::kEcdsa, digest})).kind ==
          ErrorKind::kInvalidParameter);
    CHECK(MustFail(k.client().DeleteKeyPair(forged)).kind == ErrorKind::kInvalidParameter);
    CHECK(!MUST(k.client().GetKeyPair("bad-ec")).empty());  // still there
  }
  SECTION("wrong digest lengths") {
    CHECK(MustFail(k.client().Sign(keyd::api::SignRequest{ec, SignAlgorithm::kEcdsa, Bytes()})).kind ==
          ErrorKind::kInvalidParameter);
    CHECK(MustFail(k.client().Sign(keyd::api::SignRequest{rsa, SignAlgorithm::kRsaPkcs1Sha256, Bytes(31, 1)})).kind ==
          ErrorKind::kInvalidParameter);
  }
  SECTION("an algorithm the engine does not offer: 400, no key, no file written") {
    int offered = 0;
    for (const char* algorithm : {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"}) {
      if (std::find(algorithms.begin(), algorithms.end(), algorithm) != algorithms.end()) {
        ++offered;
        continue;
      }
      INFO(algorithm);
      std::string id = std::string("unsupported-") + algorithm;
      Error e = MustFail(k.client().CreateKeyPairIfNotExists(id, std::string(algorithm)));
      CHECK(e.kind == ErrorKind::kInvalidParameter);
      CHECK(MustFail(k.client().GetKeyPair(id)).kind == ErrorKind::kNotFound);
    }
    if (offered == 6) SUCCEED("the " + k.engine() + " engine offers every algorithm");
    // A preference list falls through to what the engine offers, within the engine.
    std::string handle = MUST(k.client().CreateKeyPairIfNotExists("unsupported-then-p256", std::string("ed25519:ec-p384:ec-p256")));
    std::string got = MUST(k.client().GetParameter(handle, "algorithm"));
    CHECK(!got.empty());
    if (k.engine() != "file") CHECK(k.FileEngineKeyCount() == 0);
  }
  SECTION("a key id that was never created") {
    CHECK(MustFail(k.client().GetKeyPair("never-created")).kind == ErrorKind::kNotFound);
  }
}

TEST_CASE("an imported PKCS#8 key pair signs what OpenSSL verifies with the original public key", "[conformance]") {
  EngineKeyd k;
  std::vector<std::string> importable = {"ec-p256", "ec-p384", "rsa-2048"};
  if (k.engine() == "tpm") importable = {"ec-p256", "rsa-2048"};  // what the tpm engine holds (TPM2_Import)
  for (const std::string& algorithm : importable) {
    SECTION(algorithm) {
      EvpPkeyPtr local = GenerateKey(algorithm);
      Bytes der = MUST(PrivateKeyToPkcs8Der(local.get()));
      std::string handle = MUST(k.client().ImportKeyPair("imported-" + algorithm, der));
      CHECK(PublicPem(MUST(k.client().PublicKey(handle)).get()) == PublicPem(local.get()));
      SignAndVerifyAll(k.client(), algorithm, handle, local.get());
      // Importing again replaces it.
      EvpPkeyPtr second = GenerateKey(algorithm);
      std::string again = MUST(k.client().ImportKeyPair("imported-" + algorithm, MUST(PrivateKeyToPkcs8Der(second.get()))));
      CHECK(PublicPem(MUST(k.client().PublicKey(again)).get()) == PublicPem(second.get()));
    }
  }
  if (k.engine() != "file") CHECK(k.FileEngineKeyCount() == 0);
}

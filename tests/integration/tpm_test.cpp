// The tpm engine in keyd against swtpm (tests/support/swtpm.hpp): keys made in the TPM sign what
// OpenSSL verifies; they survive a TPM power cycle and a keyd restart; the storage primary is made
// once (as tpm2_getcap, an independent tool, sees it); a wrong TCTI, a wrong owner auth or no TPM
// stop keyd at start with a clear message; 8 threads sign at once through swtpm's 3 object slots;
// HMAC keys in the TPM compute the same MAC as OpenSSL for imported key bytes; TPM keys
// authenticate TLS clients to `openssl s_server -Verify 1` through keyd, with the TPM shared
// through tpm2-abrmd and keyd reconnecting when abrmd and swtpm restart. Exits 77 (skip) when swtpm
// is not installed.
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "common/fs.hpp"
#include "keyd/client/remote_key.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/swtpm.hpp"
#include "tests/support/tls_peer.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using keyd::api::EncryptAlgorithm;
using keyd::api::SignAlgorithm;

namespace {

void RequireSwtpm() {
  if (!Swtpm::Available()) {
    std::fprintf(stderr,
                 "SKIP: swtpm, tpm2-abrmd or dbus-daemon is not installed (scripts/deps.sh "
                 "installs them)\n");
    std::exit(77);
  }
}

// keyd on its own root whose config makes the tpm engine the default one.
class TpmKeyd {
 public:
  explicit TpmKeyd(const std::string& tcti, const std::string& extra = {}) {
    Configure(tcti, extra);
  }
  void Configure(const std::string& tcti, const std::string& extra = {}) {
    REQUIRE(fs::MakeDirs(dir_.path() + "/etc/edgesec/keyd", 0755));
    REQUIRE(fs::AtomicWriteFile(
        dir_.path() + "/etc/edgesec/keyd/config.toml",
        "default_engine = \"tpm\"\n[tpm]\ntcti = \"" + tcti + "\"\n" + extra, 0600));
  }
  keyd::KeydClient& Start() {
    keyd_ = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_KEYD"), dir_.path(), socket());
    client_ = std::make_unique<keyd::KeydClient>(socket());
    return *client_;
  }
  void Stop() {
    client_.reset();
    keyd_.reset();
  }
  // Runs keyd in the foreground expecting it to fail; its stderr.
  RunResult StartFails() {
    return Run({"timeout", "20", BinaryFromEnv("EDGESEC_KEYD"), "--root", dir_.path()});
  }
  keyd::KeydClient& client() { return *client_; }
  std::string socket() const { return dir_.path() + "/run/edgesec/keyd.sock"; }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::unique_ptr<DaemonProcess> keyd_;
  std::unique_ptr<keyd::KeydClient> client_;
};

Bytes SignDigest(keyd::KeydClient& client, const std::string& handle, SignAlgorithm algorithm,
                 const Bytes& digest) {
  keyd::api::SignRequest r;
  r.key_handle = handle;
  r.algorithm = algorithm;
  r.data = digest;
  return MUST(client.Sign(r));
}

Bytes RawRsa(keyd::KeydClient& client, const std::string& handle, EncryptAlgorithm algorithm,
             const Bytes& in) {
  keyd::api::EncryptRequest r;
  r.key_handle = handle;
  r.algorithm = algorithm;
  r.data = in;
  return MUST(client.Encrypt(r));
}

// Every mechanism of a key pair, checked by OpenSSL against the public key keyd reports.
void RequireSignaturesVerify(keyd::KeydClient& client, const std::string& handle, bool rsa,
                             const std::string& text) {
  EvpPkeyPtr pub = MUST(client.PublicKey(handle));
  Bytes digest = Sha256Of(ToBytes(text));
  if (!rsa) {
    Bytes sig = SignDigest(client, handle, SignAlgorithm::kEcdsa, digest);
    CHECK(VerifyDigest(pub.get(), digest, sig));
    Bytes other = Sha256Of(ToBytes(text + "!"));
    CHECK_FALSE(VerifyDigest(pub.get(), other, sig));
    Bytes d384 = Sha384Of(ToBytes(text));  // ECDSA over a longer digest: its leftmost 256 bits
    CHECK(VerifyDigest(pub.get(), d384, SignDigest(client, handle, SignAlgorithm::kEcdsa, d384)));
    return;
  }
  CHECK(VerifyDigest(pub.get(), digest,
                     SignDigest(client, handle, SignAlgorithm::kRsaPkcs1Sha256, digest)));
  // PSS: OpenSSL verifies with salt length 32 (= digest length), MGF1-SHA256, as the ABI promises.
  CHECK(VerifyDigest(pub.get(), digest,
                     SignDigest(client, handle, SignAlgorithm::kRsaPssSha256, digest),
                     RsaScheme::kPss));
  Bytes short_input = ToBytes("raw pkcs1 input");
  Bytes sig = RawRsa(client, handle, EncryptAlgorithm::kRsaPkcs1, short_input);
  auto recovered = RsaRecover(pub.get(), sig, RSA_PKCS1_PADDING);
  REQUIRE(recovered);
  CHECK(*recovered == short_input);
  Bytes block(256, 0x5a);
  block[0] = 0x00;
  Bytes raw = RawRsa(client, handle, EncryptAlgorithm::kRsaNoPadding, block);
  auto back = RsaRecover(pub.get(), raw, RSA_NO_PADDING);
  REQUIRE(back);
  CHECK(*back == block);
}

}  // namespace

TEST_CASE("TPM key pairs sign with every mechanism and OpenSSL verifies the signatures", "[tpm]") {
  RequireSwtpm();
  TempDir tpm_dir;
  Swtpm tpm(tpm_dir.path() + "/tpm", false);
  TpmKeyd keyd(tpm.Tcti());
  auto& client = keyd.Start();
  std::string ec = MUST(client.CreateKeyPairIfNotExists("tpm-ec", std::string("ec-p256")));
  std::string rsa = MUST(client.CreateKeyPairIfNotExists("tpm-rsa", std::string("rsa-2048")));
  CHECK(MUST(client.GetParameter(ec, "engine")) == "tpm");
  CHECK(MUST(client.GetParameter(ec, "security-level")) == "SL2");
  CHECK(MUST(client.GetParameter(ec, "algorithm")) == "ECDSA");
  CHECK(MUST(client.GetParameter(rsa, "algorithm")) == "RSA");
  RequireSignaturesVerify(client, ec, false, "ec message");
  RequireSignaturesVerify(client, rsa, true, "rsa message");

  SECTION("the key files hold blobs, not keys, mode 0600, and list by id") {
    auto names = MUST(fs::ListFiles(keyd.dir() + "/var/lib/edgesec/keyd/tpm/keypairs"));
    REQUIRE(names.size() == 2);
    for (const auto& n : names) {
      std::string text = ReadTextFile(keyd.dir() + "/var/lib/edgesec/keyd/tpm/keypairs/" + n);
      CHECK(text.find("PRIVATE KEY") == std::string::npos);
      CHECK(text.find("private: ") != std::string::npos);
      struct stat st {};
      REQUIRE(::stat((keyd.dir() + "/var/lib/edgesec/keyd/tpm/keypairs/" + n).c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == 0600);
    }
    auto listed = MUST(client.ListKeyPairs());
    REQUIRE(listed.size() == 2);
    for (const auto& k : listed) {
      CHECK(k.engine == "tpm");
      CHECK(k.security_level == 2);
    }
  }
  SECTION("move keeps the key, delete removes it") {
    EvpPkeyPtr before = MUST(client.PublicKey(ec));
    MUST(client.MoveKeyPair("tpm-ec", "tpm-ec-moved"));
    CHECK(MustFail(client.GetKeyPair("tpm-ec")).kind == ErrorKind::kNotFound);
    std::string moved = MUST(client.GetKeyPair("tpm-ec-moved"));
    EvpPkeyPtr after = MUST(client.PublicKey(moved));
    CHECK(EVP_PKEY_eq(before.get(), after.get()) == 1);
    RequireSignaturesVerify(client, moved, false, "after move");
    MUST(client.DeleteKeyPair(moved));
    CHECK(MustFail(client.GetKeyPair("tpm-ec-moved")).kind == ErrorKind::kNotFound);
  }
  SECTION("a mechanism that does not fit the key is a 400") {
    keyd::api::SignRequest r{ec, SignAlgorithm::kRsaPssSha256, Sha256Of(ToBytes("x"))};
    Error e = MustFail(client.Sign(r));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK(e.message.find("mechanism cannot be used with this key type") != std::string::npos);
  }
}

TEST_CASE("TPM keys survive a TPM power cycle and a keyd restart; the primary is made once",
          "[tpm]") {
  RequireSwtpm();
  TempDir tpm_dir;
  Swtpm tpm(tpm_dir.path() + "/tpm", false);
  TpmKeyd keyd(tpm.Tcti());
  auto& client = keyd.Start();
  std::string ec = MUST(client.CreateKeyPairIfNotExists("survivor-ec", std::string("ec-p256")));
  std::string rsa = MUST(client.CreateKeyPairIfNotExists("survivor-rsa", std::string("rsa-2048")));
  Bytes key_bytes = ToBytes("an HMAC key imported into the TPM");
  std::string mac_key = MUST(client.CreateKey({"survivor-hmac", EDGESEC_USAGE_SIGN, key_bytes}));
  EvpPkeyPtr ec_before = MUST(client.PublicKey(ec));
  RequireSignaturesVerify(client, ec, false, "before");

  // swtpm stopped and started on the same state while keyd runs: keyd reconnects on its own.
  tpm.Restart();
  RequireSignaturesVerify(client, ec, false, "after the TPM restart");
  RequireSignaturesVerify(client, rsa, true, "after the TPM restart");
  Bytes message = ToBytes("mac me");
  CHECK(SignDigest(client, mac_key, SignAlgorithm::kHmacSha256, message) ==
        HmacSha256(key_bytes, message));

  // keyd stopped and started: the handles it issued still work, the keys are the same.
  keyd.Stop();
  auto& again = keyd.Start();
  EvpPkeyPtr ec_after = MUST(again.PublicKey(ec));
  CHECK(EVP_PKEY_eq(ec_before.get(), ec_after.get()) == 1);
  RequireSignaturesVerify(again, ec, false, "after the keyd restart");
  RequireSignaturesVerify(again, rsa, true, "after the keyd restart");
  CHECK(SignDigest(again, mac_key, SignAlgorithm::kHmacSha256, message) ==
        HmacSha256(key_bytes, message));

  // Both at once, keyd first down.
  keyd.Stop();
  tpm.Restart();
  RequireSignaturesVerify(keyd.Start(), ec, false, "after both restarts");

  // swtpm serves one connection at a time: ask tpm2_getcap with keyd stopped.
  keyd.Stop();
  RunResult cap = Run({"env", "TPM2TOOLS_TCTI=" + tpm.Tcti(), "tpm2_getcap", "handles-persistent"});
  INFO(cap.out << cap.err);
  REQUIRE(cap.exit_code == 0);
  CHECK(cap.out.find("0x81000100") != std::string::npos);
  size_t handles = 0;
  for (size_t at = cap.out.find("0x81"); at != std::string::npos; at = cap.out.find("0x81", at + 1))
    ++handles;
  CHECK(handles == 1);
}

TEST_CASE(
    "keyd refuses to start with a clear message for a wrong TCTI, no TPM or a wrong owner auth",
    "[tpm]") {
  RequireSwtpm();
  SECTION("a TCTI where no TPM answers") {
    TempDir tpm_dir;
    int port = 0;
    {
      Swtpm gone(tpm_dir.path() + "/tpm", false);
      port = gone.port();
    }
    std::string tcti = "swtpm:host=127.0.0.1,port=" + std::to_string(port);
    TpmKeyd keyd(tcti);
    RunResult r = keyd.StartFails();
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("key engine 'tpm' failed to start") != std::string::npos);
    CHECK(r.err.find("TCTI '" + tcti + "'") != std::string::npos);
  }
  SECTION("a TCTI that does not exist") {
    TpmKeyd keyd("nosuchtcti:whatever");
    RunResult r = keyd.StartFails();
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("TCTI 'nosuchtcti:whatever'") != std::string::npos);
  }
  SECTION("no TPM device") {
    TpmKeyd keyd("device:/dev/edgesec-no-such-tpm");
    RunResult r = keyd.StartFails();
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("TCTI 'device:/dev/edgesec-no-such-tpm'") != std::string::npos);
  }
  SECTION("a wrong owner hierarchy auth, then the right one from a file") {
    TempDir tpm_dir;
    Swtpm tpm(tpm_dir.path() + "/tpm", false);
    RunResult set = Run({"env", "TPM2TOOLS_TCTI=" + tpm.Tcti(), "tpm2_changeauth", "-c", "owner",
                         "owner-secret-1"});
    INFO(set.out << set.err);
    REQUIRE(set.exit_code == 0);
    TpmKeyd keyd(tpm.Tcti(), "owner_auth = \"not-the-password\"\n");
    RunResult r = keyd.StartFails();
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("the owner hierarchy auth is wrong") != std::string::npos);
    CHECK(r.err.find("not-the-password") == std::string::npos);  // secrets never reach the log

    WriteBinaryFile(keyd.dir() + "/owner-auth", ToBytes("owner-secret-1\n"));
    keyd.Configure(tpm.Tcti(), "owner_auth_file = \"" + keyd.dir() + "/owner-auth\"\n");
    auto& client = keyd.Start();
    RequireSignaturesVerify(
        client, MUST(client.CreateKeyPairIfNotExists("owned", std::string("ec-p256"))), false, "x");
  }
}

TEST_CASE("8 threads sign at once through swtpm's 3 object slots, and every signature verifies",
          "[tpm]") {
  RequireSwtpm();
  TempDir tpm_dir;
  Swtpm tpm(tpm_dir.path() + "/tpm", false);
  TpmKeyd keyd(tpm.Tcti());
  auto& client = keyd.Start();
  std::vector<std::string> handles;
  for (int i = 0; i < 4; ++i)
    handles.push_back(MUST(client.CreateKeyPairIfNotExists(
        "t" + std::to_string(i), std::string(i % 2 ? "rsa-2048" : "ec-p256"))));
  std::vector<EvpPkeyPtr> pubs;
  for (auto& h : handles) pubs.push_back(MUST(client.PublicKey(h)));
  std::atomic<int> good{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      keyd::KeydClient mine(keyd.socket());
      for (int i = 0; i < 10; ++i) {
        size_t k = static_cast<size_t>(t + i) % handles.size();
        Bytes digest = Sha256(std::to_string(t) + ":" + std::to_string(i));
        keyd::api::SignRequest r{
            handles[k], k % 2 ? SignAlgorithm::kRsaPssSha256 : SignAlgorithm::kEcdsa, digest};
        auto sig = mine.Sign(r);
        bool ok = sig && VerifyDigest(pubs[k].get(), digest, *sig,
                                      k % 2 ? RsaScheme::kPss : RsaScheme::kPkcs1);
        (ok ? good : bad)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
  CHECK(good == 80);
}

TEST_CASE("HMAC keys in the TPM, imported PKCS#8 key pairs, and what the TPM cannot do", "[tpm]") {
  RequireSwtpm();
  TempDir tpm_dir;
  Swtpm tpm(tpm_dir.path() + "/tpm", false);
  TpmKeyd keyd(tpm.Tcti());
  auto& client = keyd.Start();
  const Bytes short_message = ToBytes("a message");
  const Bytes long_message(3000, 'm');  // longer than one TPM2_HMAC buffer: an HMAC sequence

  SECTION(
      "an imported HMAC key computes what OpenSSL computes, for short and long keys and messages") {
    for (size_t len : {size_t{16}, size_t{32}, size_t{100}}) {
      Bytes key(len);
      for (size_t i = 0; i < len; ++i) key[i] = static_cast<unsigned char>(i * 7 + 1);
      std::string handle =
          MUST(client.CreateKey({"hmac-" + std::to_string(len), EDGESEC_USAGE_SIGN, key}));
      for (const Bytes& m : {short_message, long_message})
        CHECK(SignDigest(client, handle, SignAlgorithm::kHmacSha256, m) == HmacSha256(key, m));
    }
  }
  SECTION("a generated HMAC key is deterministic and derives keys") {
    std::string handle = MUST(
        client.CreateKey({"hmac-gen", EDGESEC_USAGE_SIGN | EDGESEC_USAGE_DERIVE, std::nullopt}));
    Bytes a = SignDigest(client, handle, SignAlgorithm::kHmacSha256, short_message);
    CHECK(a.size() == 32);
    CHECK(a == SignDigest(client, handle, SignAlgorithm::kHmacSha256, short_message));
    CHECK(a != SignDigest(client, handle, SignAlgorithm::kHmacSha256, long_message));
    std::string derived = MUST(client.DeriveKey(handle, ToBytes("module-1")));
    CHECK(MUST(client.ExportDerivedKey(derived)) ==
          SignDigest(client, handle, SignAlgorithm::kHmacSha256, ToBytes("module-1")));
  }
  SECTION("an AES-GCM key is refused, never kept in a file instead") {
    Error e = MustFail(client.CreateKey({"aead", EDGESEC_USAGE_ENCRYPT, std::nullopt}));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK(e.message.find("AES-256-GCM is not a TPM 2.0 operation") != std::string::npos);
    CHECK(MUST(fs::ListFiles(keyd.dir() + "/var/lib/edgesec/keyd/file/secrets")).empty());
  }
  SECTION("imported PKCS#8 key pairs sign as the software key would verify") {
    for (const char* algorithm : {"ec-p256", "rsa-2048"}) {
      EvpPkeyPtr key = GenerateKey(algorithm);
      std::string handle = MUST(client.ImportKeyPair(std::string("imported-") + algorithm,
                                                     MUST(PrivateKeyToPkcs8Der(key.get()))));
      EvpPkeyPtr reported = MUST(client.PublicKey(handle));
      CHECK(EVP_PKEY_eq(key.get(), reported.get()) == 1);
      RequireSignaturesVerify(client, handle, std::string(algorithm) == "rsa-2048", algorithm);
    }
    EvpPkeyPtr p384 = GenerateKey("ec-p384");
    Error e =
        MustFail(client.ImportKeyPair("imported-p384", MUST(PrivateKeyToPkcs8Der(p384.get()))));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
  }
}

TEST_CASE("TPM keys authenticate TLS clients to openssl s_server through keyd, over tpm2-abrmd",
          "[tpm][tls]") {
  RequireSwtpm();
  TempDir tpm_dir;
  Swtpm tpm(tpm_dir.path() + "/tpm", true);  // several clients share the TPM: keyd and tpm2-tools
  REQUIRE(tpm.Tcti() == "tabrmd:bus_type=session");
  TpmKeyd keyd(tpm.Tcti());
  keyd.Start();
  struct Case {
    const char* algorithm;
    int version;
    const char* sigalgs;
    int expected_nid;
  };
  const Case cases[] = {
      {"ec-p256", TLS1_3_VERSION, nullptr, EVP_PKEY_EC},
      {"ec-p256", TLS1_2_VERSION, nullptr, EVP_PKEY_EC},
      {"rsa-2048", TLS1_3_VERSION, nullptr, EVP_PKEY_RSA_PSS},  // PSS made through RSA-NO-PADDING
      {"rsa-2048", TLS1_2_VERSION, "RSA+SHA256:ECDSA+SHA256",
       EVP_PKEY_RSA},  // PKCS#1 v1.5 via RSA-PKCS1
  };
  auto connect_all = [&](const std::string& when) {
    for (const Case& c : cases) {
      INFO(when << ": " << c.algorithm << " "
                << (c.version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2"));
      auto client = std::make_shared<keyd::KeydClient>(keyd.socket());
      std::string handle = MUST(client->CreateKeyPairIfNotExists(std::string("tls-") + c.algorithm,
                                                                 std::string(c.algorithm)));
      EvpPkeyPtr key = MUST(keyd::LoadRemoteKey(client, handle));
      TempDir pki;
      TlsClientAuthResult r = ConnectWithClientKey(pki.path(), key.get(), c.version, c.sigalgs);
      INFO("client errors: " << r.errors << "\ns_server log:\n"
                             << r.server_log << "\npage:\n"
                             << r.page);
      CHECK(r.handshake);
      CHECK(r.verified);
      CHECK(r.signature_nid == c.expected_nid);
    }
  };
  connect_all("first");
  // Another client of the same TPM while keyd uses it: the access broker keeps them apart.
  RunResult cap = Run({"tpm2_getcap", "-T", tpm.Tcti(), "handles-persistent"});
  INFO(cap.out << cap.err);
  CHECK(cap.exit_code == 0);
  CHECK(cap.out.find("0x81000100") != std::string::npos);
  // abrmd and swtpm restarted under keyd: its connection breaks, it reconnects and carries on.
  tpm.Restart();
  connect_all("after the TPM and abrmd restarted");
}

TEST_CASE("the [tpm] section: a chosen persistent handle is used, bad values are config errors",
          "[tpm]") {
  RequireSwtpm();
  SECTION("persistent_handle places the primary there") {
    TempDir tpm_dir;
    Swtpm tpm(tpm_dir.path() + "/tpm", false);
    TpmKeyd keyd(tpm.Tcti(), "persistent_handle = 0x81000234\n");
    auto& client = keyd.Start();
    RequireSignaturesVerify(
        client, MUST(client.CreateKeyPairIfNotExists("k", std::string("ec-p256"))), false, "x");
    RunResult cap = Run({"tpm2_getcap", "-T", tpm.Tcti(), "handles-persistent"});
    INFO(cap.out << cap.err);
    CHECK(cap.out.find("0x81000234") != std::string::npos);
    CHECK(cap.out.find("0x81000100") == std::string::npos);
  }
  const std::pair<const char*, const char*> bad[] = {
      {"persistent_handle = 0x01000000\n", "'tpm.persistent_handle'"},
      {"owner_auth = \"a\"\nowner_auth_file = \"/x\"\n", "'tpm.owner_auth_file'"},
      {"no_such_key = 1\n", "'tpm.no_such_key'"},
  };
  for (const auto& [extra, named] : bad) {
    SECTION(std::string("refused: ") + extra) {
      TpmKeyd keyd("swtpm:host=127.0.0.1,port=1", extra);
      RunResult r = keyd.StartFails();
      INFO(r.err);
      CHECK(r.exit_code != 0);
      CHECK(r.err.find("config.toml:") != std::string::npos);
      CHECK(r.err.find(named) != std::string::npos);
    }
  }
}

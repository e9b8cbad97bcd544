// keyd stopped with SIGTERM and started again on the same root: the handles it issued before still work,
// key pairs keep their public keys, secret keys still decrypt what they encrypted.
#include <sys/wait.h>

#include <sstream>

#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using keyd::api::SignAlgorithm;

namespace {

struct Before {
  std::string handle;
  std::string spki_b64;  // the public key as keyd reported it before the restart
  SignAlgorithm algorithm;
};

keyd::api::EncryptRequest Aead(const std::string& handle, const Bytes& data) {
  keyd::api::EncryptRequest r;
  r.key_handle = handle;
  r.algorithm = keyd::api::EncryptAlgorithm::kAead;
  r.iv = ToBytes("restart-iv12");
  r.aad = ToBytes("restart-aad");
  r.data = data;
  return r;
}

std::string Spki(keyd::KeydClient& client, const std::string& handle) {
  EvpPkeyPtr pub = MUST(client.PublicKey(handle));
  return B64(MUST(PublicKeyToSpkiDer(pub.get())));
}

}  // namespace

TEST_CASE("after a restart on the same root, earlier handles, public keys and secret keys still work") {
  TempDir dir;
  const std::string keyd_binary = BinaryFromEnv("EDGESEC_KEYD");
  const std::string socket = dir.path() + "/run/edgesec/keyd.sock";

  std::map<std::string, Before> pairs;
  std::string secret_handle, derived_handle;
  Bytes sealed, derived_bytes, hmac;
  const Bytes message = ToBytes("before and after");
  {
    DaemonProcess keyd(keyd_binary, dir.path(), socket);
    keyd::KeydClient client(socket);
    const std::pair<const char*, SignAlgorithm> kinds[] = {{"ec-p256", SignAlgorithm::kEcdsa},
                                                           {"ec-p384", SignAlgorithm::kEcdsa},
                                                           {"rsa-2048", SignAlgorithm::kRsaPssSha256},
                                                           {"ed25519", SignAlgorithm::kEdDsa}};
    for (const auto& [algorithm, mechanism] : kinds) {
      std::string handle = MUST(client.CreateKeyPairIfNotExists(std::string("pair-") + algorithm, std::string(algorithm)));
      pairs[algorithm] = Before{handle, Spki(client, handle), mechanism};
    }
    // An imported key pair survives too.
    EvpPkeyPtr imported = GenerateKey("rsa-2048");
    std::string imported_handle = MUST(client.ImportKeyPair("pair-imported", MUST(PrivateKeyToPkcs8Der(imported.get()))));
    pairs["imported"] = Before{imported_handle, B64(MUST(PublicKeyToSpkiDer(imported.get()))), SignAlgorithm::kRsaPkcs1Sha256};
    CHECK(Spki(client, imported_handle) == pairs["imported"].spki_b64);

    secret_handle = MUST(client.CreateKey(keyd::api::CreateKeyRequest{
        "secret", EDGESEC_USAGE_ENCRYPT | EDGESEC_USAGE_DERIVE | EDGESEC_USAGE_SIGN, std::nullopt}));
    sealed = MUST(client.Encrypt(Aead(secret_handle, message)));
    hmac = MUST(client.Sign(keyd::api::SignRequest{secret_handle, SignAlgorithm::kHmacSha256, message}));
    derived_handle = MUST(client.DeriveKey(secret_handle, ToBytes("module-a")));
    derived_bytes = MUST(client.ExportDerivedKey(derived_handle));

    int status = keyd.Stop();
    INFO("keyd exit status " << status);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  // keyd is gone and took its socket with it.
  CHECK(Run({"test", "-e", socket}).exit_code != 0);

  DaemonProcess keyd(keyd_binary, dir.path(), socket);
  keyd::KeydClient client(socket);
  for (const auto& [name, before] : pairs) {
    INFO("key pair " << name);
    // The public key is identical, and the handle issued before signs for it.
    CHECK(Spki(client, before.handle) == before.spki_b64);
    EvpPkeyPtr pub = MUST(PublicKeyFromSpkiDer(Unb64(before.spki_b64)));
    Bytes data = before.algorithm == SignAlgorithm::kEdDsa ? message : Sha256Of(message);
    Bytes sig = MUST(client.Sign(keyd::api::SignRequest{before.handle, before.algorithm, data}));
    if (before.algorithm == SignAlgorithm::kEdDsa) CHECK(VerifyEd25519(pub.get(), message, sig));
    else CHECK(VerifyDigest(pub.get(), data, sig, before.algorithm == SignAlgorithm::kRsaPssSha256 ? RsaScheme::kPss : RsaScheme::kPkcs1));
    // A new handle by id names the same key.
    CHECK(Spki(client, MUST(client.GetKeyPair(std::string(name == "imported" ? "pair-imported" : "pair-" + name)))) ==
          before.spki_b64);
  }
  CHECK(MUST(client.Decrypt(Aead(secret_handle, sealed))) == message);
  CHECK(MUST(client.Sign(keyd::api::SignRequest{secret_handle, SignAlgorithm::kHmacSha256, message})) == hmac);
  CHECK(MUST(client.ExportDerivedKey(derived_handle)) == derived_bytes);
  std::string fresh = MUST(client.GetKey("secret"));
  CHECK(MUST(client.Decrypt(Aead(fresh, sealed))) == message);
  CHECK(MUST(client.ListKeyPairs()).size() == pairs.size());

  // What was written after the restart is as durable: one more round.
  std::string later = MUST(client.CreateKeyPairIfNotExists("after-restart"));
  std::string later_spki = Spki(client, later);
  CHECK(WEXITSTATUS(keyd.Stop()) == 0);
  DaemonProcess again(keyd_binary, dir.path(), socket);
  keyd::KeydClient client2(socket);
  CHECK(Spki(client2, later) == later_spki);
  CHECK(Spki(client2, pairs["ec-p256"].handle) == pairs["ec-p256"].spki_b64);
}

TEST_CASE("keys written by keyd are private to its user") {
  Keyd k;
  MUST(k.client.CreateKeyPairIfNotExists("private"));
  MUST(k.client.CreateKey(keyd::api::CreateKeyRequest{"secret", EDGESEC_USAGE_SIGN, std::nullopt}));
  // Every regular file under keyd's state directory is 0600 (DESIGN.md: PKCS#8 files, mode 0600).
  RunResult found = Run({"find", k.dir() + "/var/lib/edgesec/keyd", "-type", "f", "-printf", "%m %p\n"});
  REQUIRE(found.exit_code == 0);
  INFO(found.out);
  size_t files = 0;
  std::istringstream lines(found.out);
  for (std::string line; std::getline(lines, line);) {
    ++files;
    CHECK(line.rfind("600 ", 0) == 0);
  }
  CHECK(files >= 3);  // at least the handle secret and the two keys
}

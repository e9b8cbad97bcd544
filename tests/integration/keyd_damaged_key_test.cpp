// Damaged key files of the file engine (issue 12, fault 6): a secret key file whose key was cut
// short, whose checksum does not match, or that was cut in half, and key pair files that are cut,
// hold another key's file or are open to other users, are each refused on their own — a request
// using one fails with 500 naming the key id and the file — never used as a different key. keyd
// still starts and serves every other key. Old secret key files (format 1, no length or checksum)
// are still read, and rewritten in format 2 at start.
#include <sys/stat.h>

#include <filesystem>

#include "common/base64.hpp"
#include "common/fs.hpp"
#include "common/ids.hpp"
#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using keyd::api::CreateKeyRequest;
using keyd::api::EncryptAlgorithm;
using keyd::api::EncryptRequest;
using keyd::api::SignAlgorithm;
using keyd::api::SignRequest;

namespace {

Bytes KeyBytes(unsigned char seed, size_t n = 32) {
  Bytes key(n);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(seed + i * 7);
  return key;
}

std::string SecretPath(const std::string& root, const std::string& id) {
  return root + "/var/lib/edgesec/keyd/file/secrets/" + FileNameForId(id) + ".key";
}
std::string PairPath(const std::string& root, const std::string& id) {
  return root + "/var/lib/edgesec/keyd/file/keypairs/" + FileNameForId(id) + ".pem";
}

// Replaces the value of the "name: " line of a key file (the other lines stay as keyd wrote them).
void ReplaceLine(const std::string& path, const std::string& name, const std::string& value) {
  std::string text = ReadTextFile(path);
  size_t at = text.find("\n" + name + ": ");
  REQUIRE(at != std::string::npos);
  size_t end = text.find('\n', at + 1);
  text = text.substr(0, at + name.size() + 3) + value + text.substr(end);
  REQUIRE(fs::AtomicWriteFile(path, text, 0600));
}

void CutInHalf(const std::string& path) {
  std::string text = ReadTextFile(path);
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(text.size() / 2)) == 0);
}

// A refusal of key `id`: 500 (kInternal) naming the key, its file and the damage.
void CheckRefused(const Error& e, const std::string& id, const std::string& path, const std::string& why) {
  INFO(e.message);
  CHECK(e.kind == ErrorKind::kInternal);
  CHECK_THAT(e.message, Catch::Contains("'" + id + "'") && Catch::Contains(path) && Catch::Contains(why));
}

Bytes Hmac(keyd::KeydClient& client, const std::string& handle, const Bytes& message) {
  return MUST(client.Sign(SignRequest{handle, SignAlgorithm::kHmacSha256, message}));
}

}  // namespace

TEST_CASE("a secret key cut to 12 bytes, with a wrong checksum or cut in half is refused on its own") {
  Keyd k;
  const Bytes message = ToBytes("SharedAccessSignature sr=hub");
  std::map<std::string, std::string> handles;
  for (const char* id : {"hmac-cut", "hmac-sum", "hmac-half", "hmac-ok"})
    handles[id] = MUST(k.client.CreateKey(CreateKeyRequest{id, EDGESEC_USAGE_SIGN, KeyBytes(id[5])}));
  std::string aes = MUST(k.client.CreateKey(CreateKeyRequest{"aes-cut", EDGESEC_USAGE_ENCRYPT, KeyBytes(9)}));
  for (const char* id : {"hmac-cut", "hmac-sum", "hmac-half", "hmac-ok"})
    CHECK(Hmac(k.client, handles[id], message) == HmacSha256(KeyBytes(id[5]), message));

  const std::string root = k.dir();
  // The fault: the key line holds 12 of the 32 bytes; the rest of the file is intact.
  Bytes cut = KeyBytes('c');
  cut.resize(12);
  ReplaceLine(SecretPath(root, "hmac-cut"), "key", B64(cut));
  Bytes aes_cut = KeyBytes(9);
  aes_cut.resize(12);
  ReplaceLine(SecretPath(root, "aes-cut"), "key", B64(aes_cut));
  // Right length, other bytes.
  ReplaceLine(SecretPath(root, "hmac-sum"), "key", B64(KeyBytes('x')));
  CutInHalf(SecretPath(root, "hmac-half"));

  CheckRefused(MustFail(k.client.Sign(SignRequest{handles["hmac-cut"], SignAlgorithm::kHmacSha256, message})),
               "hmac-cut", SecretPath(root, "hmac-cut"), "the key is 12 bytes long, the file records 32");
  CheckRefused(MustFail(k.client.Encrypt(EncryptRequest{aes, EncryptAlgorithm::kAead, ToBytes("0123456789ab"), {}, message})),
               "aes-cut", SecretPath(root, "aes-cut"), "the key is 12 bytes long");
  CheckRefused(MustFail(k.client.Sign(SignRequest{handles["hmac-sum"], SignAlgorithm::kHmacSha256, message})),
               "hmac-sum", SecretPath(root, "hmac-sum"), "SHA-256");
  CheckRefused(MustFail(k.client.Sign(SignRequest{handles["hmac-half"], SignAlgorithm::kHmacSha256, message})),
               "hmac-half", SecretPath(root, "hmac-half"), "damaged");
  CheckRefused(MustFail(k.client.GetKey("hmac-cut")), "hmac-cut", SecretPath(root, "hmac-cut"), "damaged");
  // Never a different key: no MAC at all rather than the MAC of a shorter key.
  CHECK(Hmac(k.client, handles["hmac-ok"], message) == HmacSha256(KeyBytes('o'), message));

  // keyd restarts on this state and serves the good key; the damaged ones stay refused.
  REQUIRE(k.under_test.keyd.Stop() == 0);
  DaemonProcess again(BinaryFromEnv("EDGESEC_KEYD"), root, k.socket());
  keyd::KeydClient client(k.socket());
  CHECK(Hmac(client, handles["hmac-ok"], message) == HmacSha256(KeyBytes('o'), message));
  CheckRefused(MustFail(client.Sign(SignRequest{handles["hmac-cut"], SignAlgorithm::kHmacSha256, message})),
               "hmac-cut", SecretPath(root, "hmac-cut"), "12 bytes");
  // Importing the key again repairs it.
  MUST(client.CreateKey(CreateKeyRequest{"hmac-cut", EDGESEC_USAGE_SIGN, KeyBytes('c')}));
  CHECK(Hmac(client, handles["hmac-cut"], message) == HmacSha256(KeyBytes('c'), message));
}

TEST_CASE("secret key files record the key's length and SHA-256; old files without them are read and upgraded") {
  TempDir dir;
  const std::string socket = dir.path() + "/run/edgesec/keyd.sock";
  const Bytes key = KeyBytes(3, 48);
  // A file as keyd wrote it before format 2, made by hand before keyd first starts.
  std::string legacy = SecretPath(dir.path(), "legacy");
  std::filesystem::create_directories(fs::DirName(legacy));
  REQUIRE(fs::AtomicWriteFile(legacy, "edgesec-key-id: legacy\nusage: 4\nkey: " + B64(key) + "\n", 0600));
  DaemonProcess keyd(BinaryFromEnv("EDGESEC_KEYD"), dir.path(), socket);
  keyd::KeydClient client(socket);
  std::string handle = MUST(client.GetKey("legacy"));
  const Bytes message = ToBytes("old file");
  CHECK(Hmac(client, handle, message) == HmacSha256(key, message));
  std::string text = ReadTextFile(legacy);
  CHECK(text == "edgesec-key-id: legacy\nformat: 2\nusage: 4\nlength: 48\nsha256: " +
                    HexLower(Sha256Of(key)) + "\nkey: " + B64(key) + "\n");
  struct stat st {};
  REQUIRE(::stat(legacy.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  // New keys are written the same way.
  MUST(client.CreateKey(CreateKeyRequest{"fresh", EDGESEC_USAGE_SIGN, KeyBytes(5, 20)}));
  CHECK_THAT(ReadTextFile(SecretPath(dir.path(), "fresh")),
             Catch::StartsWith("edgesec-key-id: fresh\nformat: 2\nusage: 4\nlength: 20\nsha256: "));
}

TEST_CASE("key pair files that are cut, another key's or open to others are refused on their own") {
  TempDir dir;
  const std::string socket = dir.path() + "/run/edgesec/keyd.sock";
  const std::string keyd_binary = BinaryFromEnv("EDGESEC_KEYD");
  std::map<std::string, std::string> handles;
  {
    DaemonProcess keyd(keyd_binary, dir.path(), socket);
    keyd::KeydClient client(socket);
    for (const char* id : {"p-cut", "p-swap", "p-mode", "p-ok"})
      handles[id] = MUST(client.CreateKeyPairIfNotExists(id, std::string("ec-p256")));
  }
  CutInHalf(PairPath(dir.path(), "p-cut"));
  // p-swap's file now holds p-ok's: keyd must not sign for p-swap with p-ok's key.
  std::filesystem::copy_file(PairPath(dir.path(), "p-ok"), PairPath(dir.path(), "p-swap"),
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(::chmod(PairPath(dir.path(), "p-mode").c_str(), 0644) == 0);

  DaemonProcess keyd(keyd_binary, dir.path(), socket);
  keyd::KeydClient client(socket);
  CheckRefused(MustFail(client.GetKeyPair("p-cut")), "p-cut", PairPath(dir.path(), "p-cut"), "damaged");
  CheckRefused(MustFail(client.GetKeyPair("p-swap")), "p-swap", PairPath(dir.path(), "p-swap"),
               "it records key 'p-ok': another key's file");
  CheckRefused(MustFail(client.GetKeyPair("p-mode")), "p-mode", PairPath(dir.path(), "p-mode"),
               "mode 0644, open to other users");
  const Bytes digest = Sha256Of(ToBytes("still signs"));
  CheckRefused(MustFail(client.Sign(SignRequest{handles["p-swap"], SignAlgorithm::kEcdsa, digest})), "p-swap",
               PairPath(dir.path(), "p-swap"), "another key's file");
  EvpPkeyPtr pub = MUST(client.PublicKey(handles["p-ok"]));
  CHECK(VerifyDigest(pub.get(), digest, MUST(client.Sign(SignRequest{handles["p-ok"], SignAlgorithm::kEcdsa, digest}))));
  // chmod 0600 makes it usable again: files are checked each time they are read.
  REQUIRE(::chmod(PairPath(dir.path(), "p-mode").c_str(), 0600) == 0);
  CHECK(MUST(client.GetKeyPair("p-mode")) != "");
}

// keyd/engines/file through its C ABI table: key files (mode 0600, id line + PKCS#8 PEM, atomic
// writes), move and delete, preloaded file:// keys that are read but never written, and damaged
// files.
#include "keyd/engines/file/file_engine.hpp"

#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/ossl.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::Bytes;
using edgesec::Json;

namespace {

struct FileEngine {
  edgesec::testing::TempDir dir;
  std::string state = dir.path() + "/state";
  const edgesec_key_engine* t = edgesec::keyd::engines::file::Table();
  void* ctx = nullptr;
  edgesec_error err{};

  explicit FileEngine(const Json& preloaded = Json::object()) {
    std::string options = edgesec::DumpJson(Json{{"state_dir", state}, {"preloaded", preloaded}});
    REQUIRE(t->open(options.c_str(), &ctx, &err) == EDGESEC_OK);
  }
  ~FileEngine() { t->close(ctx); }

  std::string KeyPairFile(const std::string& id) const {
    return state + "/keypairs/" + edgesec::FileNameForId(id) + ".pem";
  }
  edgesec_status Generate(const std::string& id, const char* algorithm = "ec-p256") {
    return t->generate_key_pair(ctx, id.c_str(), algorithm, &err);
  }
  // The SubjectPublicKeyInfo, or empty with the status in `status`.
  Bytes Spki(const std::string& id, edgesec_status* status = nullptr) {
    char algorithm[EDGESEC_ALGORITHM_MAX] = {};
    Bytes spki(2048);
    size_t len = spki.size();
    edgesec_status st = t->get_key_pair(ctx, id.c_str(), algorithm, spki.data(), &len, &err);
    if (status != nullptr) *status = st;
    if (st != EDGESEC_OK) return {};
    spki.resize(len);
    return spki;
  }
  edgesec_status Sign(const std::string& id, const Bytes& digest, Bytes* sig) {
    sig->assign(1024, 0);
    size_t len = sig->size();
    edgesec_status st = t->sign(ctx, id.c_str(), EDGESEC_MECH_ECDSA, digest.data(), digest.size(),
                                sig->data(), &len, &err);
    sig->resize(st == EDGESEC_OK ? len : 0);
    return st;
  }
  // Every directory entry under the state directory (recursively), for spotting leftovers.
  std::vector<std::string> AllEntries() const {
    std::vector<std::string> out;
    for (const char* sub : {"/keypairs", "/secrets", ""}) {
      auto names = edgesec::fs::ListFiles(state + sub);
      REQUIRE(names);
      for (auto& n : *names) out.push_back(std::string(sub) + "/" + n);
    }
    return out;
  }
};

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool Verifies(const Bytes& spki, const Bytes& digest, const Bytes& sig) {
  auto key = edgesec::PublicKeyFromSpkiDer(spki);
  REQUIRE(key);
  edgesec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  REQUIRE(EVP_PKEY_verify_init(ctx.get()) == 1);
  return EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), digest.data(), digest.size()) == 1;
}

void RequireNoTempFiles(const FileEngine& e) {
  for (const std::string& name : e.AllEntries()) {
    INFO(name);
    CHECK(name.find(".tmp-") == std::string::npos);
  }
}

}  // namespace

TEST_CASE("a generated key pair is a 0600 file with the id line and a PKCS#8 PEM of the same key") {
  FileEngine e;
  mode_t old_umask = ::umask(0);
  edgesec_status st = e.Generate("device-id:v1");
  ::umask(old_umask);
  REQUIRE(st == EDGESEC_OK);
  std::string path = e.KeyPairFile("device-id:v1");
  CHECK(ModeOf(path) == 0600);
  CHECK(ModeOf(e.state + "/keypairs") == 0700);
  auto text = edgesec::fs::ReadFile(path);
  REQUIRE(text);
  CHECK_THAT(*text,
             Catch::StartsWith("edgesec-key-id: device-id:v1\n-----BEGIN PRIVATE KEY-----\n"));
  CHECK_THAT(*text, Catch::EndsWith("-----END PRIVATE KEY-----\n"));
  auto key = edgesec::PrivateKeyFromPem(text->substr(text->find('\n') + 1));
  REQUIRE(key);
  auto spki = edgesec::PublicKeyToSpkiDer(key->get());
  REQUIRE(spki);
  CHECK(*spki == e.Spki("device-id:v1"));
}

TEST_CASE("every algorithm of the file engine generates, and an unknown one is unsupported") {
  FileEngine e;
  for (const char* algorithm : {"ec-p256", "ec-p384", "rsa-2048", "ed25519"}) {
    INFO(algorithm);
    REQUIRE(e.Generate(std::string("k-") + algorithm, algorithm) == EDGESEC_OK);
    char reported[EDGESEC_ALGORITHM_MAX] = {};
    Bytes spki(2048);
    size_t len = spki.size();
    REQUIRE(e.t->get_key_pair(e.ctx, (std::string("k-") + algorithm).c_str(), reported, spki.data(),
                              &len, &e.err) == EDGESEC_OK);
    CHECK(std::string(reported) == algorithm);
  }
  CHECK(e.Generate("k-dsa", "dsa-1024") == EDGESEC_E_UNSUPPORTED);
  CHECK_FALSE(edgesec::fs::Exists(e.KeyPairFile("k-dsa")));
}

TEST_CASE("writes leave no temp files behind") {
  FileEngine e;
  REQUIRE(e.Generate("a") == EDGESEC_OK);
  REQUIRE(e.Generate("a") == EDGESEC_OK);  // overwrite
  REQUIRE(e.Generate("b") == EDGESEC_OK);
  Bytes key_bytes(32, 7);
  REQUIRE(e.t->create_secret(e.ctx, "s", EDGESEC_USAGE_SIGN, key_bytes.data(), key_bytes.size(),
                             &e.err) == EDGESEC_OK);
  REQUIRE(e.t->move_key(e.ctx, EDGESEC_KEY_PAIR, "a", "c", &e.err) == EDGESEC_OK);
  REQUIRE(e.t->delete_key(e.ctx, EDGESEC_KEY_PAIR, "b", &e.err) == EDGESEC_OK);
  RequireNoTempFiles(e);
  CHECK(e.AllEntries() ==
        std::vector<std::string>{"/keypairs/" + edgesec::FileNameForId("c") + ".pem",
                                 "/secrets/" + edgesec::FileNameForId("s") + ".key"});
}

TEST_CASE("a secret key is a 0600 file with the id line, and signs HMAC-SHA256 with its bytes") {
  FileEngine e;
  Bytes key_bytes(32);
  for (size_t i = 0; i < key_bytes.size(); ++i) key_bytes[i] = static_cast<unsigned char>(i);
  REQUIRE(e.t->create_secret(e.ctx, "$edgeHub", EDGESEC_USAGE_SIGN | EDGESEC_USAGE_DERIVE,
                             key_bytes.data(), key_bytes.size(), &e.err) == EDGESEC_OK);
  std::string path = e.state + "/secrets/" + edgesec::FileNameForId("$edgeHub") + ".key";
  CHECK(ModeOf(path) == 0600);
  auto text = edgesec::fs::ReadFile(path);
  REQUIRE(text);
  CHECK_THAT(*text, Catch::StartsWith("edgesec-key-id: $edgeHub\n"));
  uint32_t usage = 0;
  REQUIRE(e.t->get_secret(e.ctx, "$edgeHub", &usage, &e.err) == EDGESEC_OK);
  CHECK(usage == (EDGESEC_USAGE_SIGN | EDGESEC_USAGE_DERIVE));

  std::string message = "hello";
  Bytes mac(64);
  size_t len = mac.size();
  REQUIRE(e.t->secret_op(e.ctx, "$edgeHub", EDGESEC_SECRET_HMAC_SHA256, nullptr, 0, nullptr, 0,
                         reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                         mac.data(), &len, &e.err) == EDGESEC_OK);
  mac.resize(len);
  unsigned char expected[32];
  unsigned int expected_len = 32;
  HMAC(EVP_sha256(), key_bytes.data(), 32, reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), expected, &expected_len);
  CHECK(mac == Bytes(expected, expected + 32));
}

TEST_CASE("move replaces the target key and removes the source") {
  FileEngine e;
  REQUIRE(e.Generate("new") == EDGESEC_OK);
  REQUIRE(e.Generate("current") == EDGESEC_OK);
  Bytes new_spki = e.Spki("new");
  REQUIRE(new_spki != e.Spki("current"));
  REQUIRE(e.t->move_key(e.ctx, EDGESEC_KEY_PAIR, "new", "current", &e.err) == EDGESEC_OK);
  CHECK(e.Spki("current") == new_spki);
  edgesec_status st = EDGESEC_OK;
  e.Spki("new", &st);
  CHECK(st == EDGESEC_E_NOT_FOUND);
  CHECK_FALSE(edgesec::fs::Exists(e.KeyPairFile("new")));
  auto text = edgesec::fs::ReadFile(e.KeyPairFile("current"));
  REQUIRE(text);
  CHECK_THAT(*text, Catch::StartsWith("edgesec-key-id: current\n-----BEGIN PRIVATE KEY-----"));
  CHECK(ModeOf(e.KeyPairFile("current")) == 0600);
  RequireNoTempFiles(e);
}

TEST_CASE("move of a missing key fails and leaves the target alone") {
  FileEngine e;
  REQUIRE(e.Generate("target") == EDGESEC_OK);
  Bytes before = e.Spki("target");
  CHECK(e.t->move_key(e.ctx, EDGESEC_KEY_PAIR, "absent", "target", &e.err) == EDGESEC_E_NOT_FOUND);
  CHECK(e.Spki("target") == before);
}

TEST_CASE("delete removes the key file, and a second delete reports not found") {
  FileEngine e;
  REQUIRE(e.Generate("gone") == EDGESEC_OK);
  REQUIRE(e.t->delete_key(e.ctx, EDGESEC_KEY_PAIR, "gone", &e.err) == EDGESEC_OK);
  CHECK_FALSE(edgesec::fs::Exists(e.KeyPairFile("gone")));
  edgesec_status st = EDGESEC_OK;
  e.Spki("gone", &st);
  CHECK(st == EDGESEC_E_NOT_FOUND);
  CHECK(e.t->delete_key(e.ctx, EDGESEC_KEY_PAIR, "gone", &e.err) == EDGESEC_E_NOT_FOUND);
}

TEST_CASE(
    "a preloaded file:// key is readable and signs, and keyd never deletes, moves or overwrites "
    "it") {
  edgesec::testing::TempDir keys;
  std::string path = keys.path() + "/device.pem";
  edgesec::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key);
  auto pem = edgesec::PrivateKeyToPkcs8Pem(key.get());
  REQUIRE(pem);
  REQUIRE(edgesec::fs::AtomicWriteFile(path, *pem, 0600));
  FileEngine e(Json{{"device", "file://" + path}});

  auto spki = edgesec::PublicKeyToSpkiDer(key.get());
  REQUIRE(spki);
  CHECK(e.Spki("device") == *spki);
  Bytes digest = edgesec::Sha256("preloaded");
  Bytes sig;
  REQUIRE(e.Sign("device", digest, &sig) == EDGESEC_OK);
  CHECK(Verifies(*spki, digest, sig));

  CHECK(e.t->delete_key(e.ctx, EDGESEC_KEY_PAIR, "device", &e.err) == EDGESEC_E_READ_ONLY);
  CHECK_THAT(std::string(e.err.message), Catch::Contains("preloaded"));
  CHECK(e.t->move_key(e.ctx, EDGESEC_KEY_PAIR, "device", "other", &e.err) == EDGESEC_E_READ_ONLY);
  REQUIRE(e.Generate("other") == EDGESEC_OK);
  CHECK(e.t->move_key(e.ctx, EDGESEC_KEY_PAIR, "other", "device", &e.err) == EDGESEC_E_READ_ONLY);
  CHECK(e.Generate("device") == EDGESEC_E_READ_ONLY);
  auto text = edgesec::fs::ReadFile(path);
  REQUIRE(text);
  CHECK(*text == *pem);  // untouched
}

TEST_CASE("list reports preloaded and created keys and skips interrupted writes") {
  edgesec::testing::TempDir keys;
  std::string path = keys.path() + "/device.pem";
  edgesec::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  REQUIRE(edgesec::fs::AtomicWriteFile(path, *edgesec::PrivateKeyToPkcs8Pem(key.get()), 0600));
  FileEngine e(Json{{"device", "file://" + path}});
  REQUIRE(e.Generate("made") == EDGESEC_OK);
  REQUIRE(edgesec::fs::AtomicWriteFile(e.KeyPairFile("crashed") + ".tmp-1-2",
                                       "edgesec-key-id: crashed\n", 0600));
  std::vector<std::string> seen;
  auto cb = [](void* user, const char* id, edgesec_key_kind, const char* algorithm) -> int {
    static_cast<std::vector<std::string>*>(user)->push_back(std::string(id) + "=" + algorithm);
    return 0;
  };
  REQUIRE(e.t->list_keys(e.ctx, cb, &seen, &e.err) == EDGESEC_OK);
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{"device=ec-p384", "made=ec-p256"});
}

TEST_CASE("a damaged key file gives an error, not a crash") {
  for (std::string damage : {std::string("garbage"), std::string(""),
                             std::string("edgesec-key-id: broken\n-----BEGIN PRIVATE "
                                         "KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"),
                             std::string(5000, '\0')}) {
    FileEngine e;
    REQUIRE(e.Generate("broken") == EDGESEC_OK);
    REQUIRE(edgesec::fs::AtomicWriteFile(e.KeyPairFile("broken"), damage, 0600));
    edgesec_status st = EDGESEC_OK;
    e.Spki("broken", &st);
    CHECK(st != EDGESEC_OK);
    CHECK(st != EDGESEC_E_NOT_FOUND);
    CHECK_THAT(std::string(e.err.message), Catch::Contains(e.KeyPairFile("broken")));
    Bytes sig;
    CHECK(e.Sign("broken", edgesec::Sha256("x"), &sig) != EDGESEC_OK);
  }
}

TEST_CASE("a damaged or missing preloaded key file gives an error naming the key, not a crash") {
  edgesec::testing::TempDir keys;
  std::string garbage = keys.path() + "/garbage.pem";
  REQUIRE(edgesec::fs::AtomicWriteFile(
      garbage, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0600));
  FileEngine e(Json{{"damaged", "file://" + garbage},
                    {"missing", "file://" + keys.path() + "/missing.pem"}});
  for (const char* id : {"damaged", "missing"}) {
    INFO(id);
    edgesec_status st = EDGESEC_OK;
    e.Spki(id, &st);
    CHECK(st != EDGESEC_OK);
    CHECK_THAT(std::string(e.err.message),
               Catch::Contains(std::string("'") + id + "'") || Catch::Contains(garbage));
    Bytes sig;
    CHECK(e.Sign(id, edgesec::Sha256("x"), &sig) != EDGESEC_OK);
  }
  std::vector<std::string> seen;  // listing skips them instead of failing
  auto cb = [](void* user, const char* id, edgesec_key_kind, const char*) -> int {
    static_cast<std::vector<std::string>*>(user)->push_back(id);
    return 0;
  };
  CHECK(e.t->list_keys(e.ctx, cb, &seen, &e.err) == EDGESEC_OK);
}

TEST_CASE("a damaged secret key file gives an error, not a crash") {
  FileEngine e;
  REQUIRE(e.t->create_secret(e.ctx, "s", EDGESEC_USAGE_SIGN, nullptr, 0, &e.err) == EDGESEC_OK);
  std::string path = e.state + "/secrets/" + edgesec::FileNameForId("s") + ".key";
  for (const char* damage :
       {"edgesec-key-id: s\nusage: 4\nkey: not base64!\n", "nothing useful", ""}) {
    REQUIRE(edgesec::fs::AtomicWriteFile(path, damage, 0600));
    uint32_t usage = 0;
    CHECK(e.t->get_secret(e.ctx, "s", &usage, &e.err) != EDGESEC_OK);
  }
}

TEST_CASE("a too small output buffer is answered with the size needed") {
  FileEngine e;
  REQUIRE(e.Generate("k") == EDGESEC_OK);
  char algorithm[EDGESEC_ALGORITHM_MAX] = {};
  uint8_t small[8];
  size_t len = sizeof small;
  REQUIRE(e.t->get_key_pair(e.ctx, "k", algorithm, small, &len, &e.err) ==
          EDGESEC_E_BUFFER_TOO_SMALL);
  CHECK(len == e.Spki("k").size());
}

// The engine keeps each decoded key, and its signing contexts, between operations: nothing it
// keeps may outlive the key file it came from.
TEST_CASE("a deleted then re-created key with the same id signs with the new key, never the old") {
  FileEngine e;
  Bytes digest = edgesec::Sha256("cache");
  REQUIRE(e.Generate("rotating") == EDGESEC_OK);
  Bytes old_spki = e.Spki("rotating");
  Bytes sig;
  REQUIRE(e.Sign("rotating", digest, &sig) == EDGESEC_OK);  // decoded, contexts prepared
  REQUIRE(Verifies(old_spki, digest, sig));
  REQUIRE(e.t->delete_key(e.ctx, EDGESEC_KEY_PAIR, "rotating", &e.err) == EDGESEC_OK);
  CHECK(e.Sign("rotating", digest, &sig) == EDGESEC_E_NOT_FOUND);
  REQUIRE(e.Generate("rotating") == EDGESEC_OK);
  Bytes new_spki = e.Spki("rotating");
  REQUIRE(new_spki != old_spki);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(e.Sign("rotating", digest, &sig) == EDGESEC_OK);
    CHECK(Verifies(new_spki, digest, sig));
    CHECK_FALSE(Verifies(old_spki, digest, sig));
  }
}

TEST_CASE("a key replaced by import or by move signs with the replacement at once") {
  FileEngine e;
  Bytes digest = edgesec::Sha256("replaced");
  REQUIRE(e.Generate("current") == EDGESEC_OK);
  Bytes sig;
  REQUIRE(e.Sign("current", digest, &sig) == EDGESEC_OK);
  // Import over it.
  edgesec::EvpPkeyPtr imported(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto der = edgesec::PrivateKeyToPkcs8Der(imported.get());
  REQUIRE(der);
  REQUIRE(e.t->import_key_pair(e.ctx, "current", der->data(), der->size(), &e.err) == EDGESEC_OK);
  auto imported_spki = edgesec::PublicKeyToSpkiDer(imported.get());
  REQUIRE(imported_spki);
  REQUIRE(e.Sign("current", digest, &sig) == EDGESEC_OK);
  CHECK(Verifies(*imported_spki, digest, sig));
  // Moved over it (a rotation's commit).
  REQUIRE(e.Generate("next") == EDGESEC_OK);
  Bytes next_spki = e.Spki("next");
  REQUIRE(e.Sign("next", digest, &sig) == EDGESEC_OK);
  REQUIRE(e.t->move_key(e.ctx, EDGESEC_KEY_PAIR, "next", "current", &e.err) == EDGESEC_OK);
  REQUIRE(e.Sign("current", digest, &sig) == EDGESEC_OK);
  CHECK(Verifies(next_spki, digest, sig));
  CHECK_FALSE(Verifies(*imported_spki, digest, sig));
  CHECK(e.Sign("next", digest, &sig) == EDGESEC_E_NOT_FOUND);
}

TEST_CASE("a reopened engine (a reload) reads a preloaded key file that changed meanwhile") {
  edgesec::testing::TempDir keys;
  std::string path = keys.path() + "/device.pem";
  auto write_key = [&] {
    edgesec::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    REQUIRE(edgesec::fs::AtomicWriteFile(path, edgesec::PrivateKeyToPkcs8Pem(key.get()).value(),
                                         0600));
    return edgesec::PublicKeyToSpkiDer(key.get()).value();
  };
  Bytes digest = edgesec::Sha256("reload");
  Bytes first = write_key();
  Bytes sig;
  {
    FileEngine e(Json{{"device", "file://" + path}});
    REQUIRE(e.Sign("device", digest, &sig) == EDGESEC_OK);
    CHECK(Verifies(first, digest, sig));
  }
  Bytes second = write_key();
  FileEngine e(Json{{"device", "file://" + path}});
  REQUIRE(e.Sign("device", digest, &sig) == EDGESEC_OK);
  CHECK(Verifies(second, digest, sig));
  CHECK_FALSE(Verifies(first, digest, sig));
}

TEST_CASE("RSA signatures of every mechanism verify, the second as the first (prepared contexts)") {
  FileEngine e;
  REQUIRE(e.Generate("rsa", "rsa-2048") == EDGESEC_OK);
  auto key = edgesec::PublicKeyFromSpkiDer(e.Spki("rsa"));
  REQUIRE(key);
  Bytes digest = edgesec::Sha256("rsa");
  for (int round = 0; round < 2; ++round) {
    for (auto [mech, padding] : {std::pair{EDGESEC_MECH_RSA_PKCS1_SHA256, RSA_PKCS1_PADDING},
                                 std::pair{EDGESEC_MECH_RSA_PSS_SHA256, RSA_PKCS1_PSS_PADDING}}) {
      INFO("round " << round << ", mechanism " << mech);
      Bytes sig(512);
      size_t len = sig.size();
      REQUIRE(e.t->sign(e.ctx, "rsa", mech, digest.data(), digest.size(), sig.data(), &len,
                        &e.err) == EDGESEC_OK);
      sig.resize(len);
      CHECK(len == 256);
      edgesec::EvpPkeyCtxPtr v(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
      REQUIRE(EVP_PKEY_verify_init(v.get()) == 1);
      REQUIRE(EVP_PKEY_CTX_set_rsa_padding(v.get(), padding) == 1);
      REQUIRE(EVP_PKEY_CTX_set_signature_md(v.get(), EVP_sha256()) == 1);
      if (padding == RSA_PKCS1_PSS_PADDING)
        REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(v.get(), 32) == 1);
      CHECK(EVP_PKEY_verify(v.get(), sig.data(), sig.size(), digest.data(), digest.size()) == 1);
    }
  }
  // A mechanism that does not fit is still refused, and a wrong input still reported as such.
  Bytes sig(512);
  size_t len = sig.size();
  CHECK(e.t->sign(e.ctx, "rsa", EDGESEC_MECH_ECDSA, digest.data(), digest.size(), sig.data(), &len,
                  &e.err) == EDGESEC_E_UNSUPPORTED);
  len = sig.size();
  CHECK(e.t->sign(e.ctx, "rsa", EDGESEC_MECH_RSA_PKCS1_SHA256, digest.data(), 31, sig.data(), &len,
                  &e.err) == EDGESEC_E_INVALID);
}

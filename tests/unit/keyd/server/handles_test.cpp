// keyd/server/handles: key handles are HMAC-signed claims; anything altered or forged is refused
// with kInvalidParameter "invalid key handle" (the routes turn that into 400).
#include "keyd/server/handles.hpp"

#include <openssl/hmac.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/base64.hpp"
#include "common/fs.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::Bytes;
using edgesec::ErrorKind;
using edgesec::Secret;
using edgesec::keyd::HandleClaims;
using edgesec::keyd::HandleKind;
using edgesec::keyd::HandleSigner;

namespace {

HandleSigner SignerWith(char fill) {
  return HandleSigner(Secret::FromString(std::string(32, fill)));
}

void RequireInvalid(const HandleSigner& signer, const std::string& handle) {
  auto claims = signer.Verify(handle);
  INFO("handle: " << handle.substr(0, 200));
  REQUIRE_FALSE(claims);
  CHECK(claims.error().kind == ErrorKind::kInvalidParameter);
  CHECK(claims.error().message == "invalid key handle");
}

char Other(char c) {
  return c == 'A' ? 'B' : 'A';
}

}  // namespace

TEST_CASE("a key pair handle verifies and names its key") {
  HandleSigner signer = SignerWith('s');
  auto claims = signer.Verify(signer.Issue({HandleKind::kKeyPair, "device-id", {}}));
  REQUIRE(claims);
  CHECK(claims->kind == HandleKind::kKeyPair);
  CHECK(claims->key_id == "device-id");
  CHECK(claims->derivation_data.empty());
}

TEST_CASE("a secret key handle verifies and names its key") {
  HandleSigner signer = SignerWith('s');
  auto claims = signer.Verify(signer.Issue({HandleKind::kSecret, "$edgeHub:master@x", {}}));
  REQUIRE(claims);
  CHECK(claims->kind == HandleKind::kSecret);
  CHECK(claims->key_id == "$edgeHub:master@x");
}

TEST_CASE("a derived key handle verifies with its base key and derivation data") {
  HandleSigner signer = SignerWith('s');
  Bytes data = {0x00, 0x01, 0xfe, 0xff, '"', '\\'};
  auto claims = signer.Verify(signer.Issue({HandleKind::kDerived, "base", data}));
  REQUIRE(claims);
  CHECK(claims->kind == HandleKind::kDerived);
  CHECK(claims->key_id == "base");
  CHECK(claims->derivation_data == data);
}

TEST_CASE("two handles for the same key differ (random nonce) and both verify") {
  HandleSigner signer = SignerWith('s');
  std::string a = signer.Issue({HandleKind::kKeyPair, "k", {}});
  std::string b = signer.Issue({HandleKind::kKeyPair, "k", {}});
  CHECK(a != b);
  CHECK(signer.Verify(a));
  CHECK(signer.Verify(b));
}

TEST_CASE("a handle with one changed character in its payload is rejected") {
  HandleSigner signer = SignerWith('s');
  std::string handle = signer.Issue({HandleKind::kKeyPair, "device-id", {}});
  size_t dot = handle.find('.');
  REQUIRE(dot != std::string::npos);
  for (size_t i : {size_t{0}, dot / 2, dot - 1}) {
    std::string altered = handle;
    altered[i] = Other(altered[i]);
    RequireInvalid(signer, altered);
  }
}

TEST_CASE("a handle with one changed character in its MAC is rejected") {
  HandleSigner signer = SignerWith('s');
  std::string handle = signer.Issue({HandleKind::kSecret, "k", {}});
  size_t dot = handle.find('.');
  for (size_t i : {dot + 1, (dot + handle.size()) / 2, handle.size() - 2}) {
    std::string altered = handle;
    altered[i] = Other(altered[i]);
    RequireInvalid(signer, altered);
  }
}

TEST_CASE("a handle signed with another install's secret is rejected") {
  HandleSigner ours = SignerWith('s');
  HandleSigner theirs = SignerWith('t');
  RequireInvalid(ours, theirs.Issue({HandleKind::kKeyPair, "device-id", {}}));
  RequireInvalid(ours, theirs.Issue({HandleKind::kDerived, "base", {1, 2, 3}}));
}

TEST_CASE("a forged payload naming another key with a copied MAC is rejected") {
  HandleSigner signer = SignerWith('s');
  std::string genuine = signer.Issue({HandleKind::kKeyPair, "module-key", {}});
  std::string mac = genuine.substr(genuine.find('.') + 1);
  std::string payload = R"({"id":"device-id","k":"pair","n":"AAAAAAAAAAAAAAAAAAAAAA","v":1})";
  std::string forged = edgesec::Base64UrlEncode(
                           reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) +
                       "." + mac;
  RequireInvalid(signer, forged);
  // The payload of one genuine handle with the MAC of another is no better.
  std::string other = signer.Issue({HandleKind::kKeyPair, "device-id", {}});
  RequireInvalid(signer, other.substr(0, other.find('.')) + "." + mac);
}

TEST_CASE("a truncated handle is rejected") {
  HandleSigner signer = SignerWith('s');
  std::string handle = signer.Issue({HandleKind::kKeyPair, "device-id", {}});
  size_t dot = handle.find('.');
  RequireInvalid(signer, handle.substr(0, handle.size() - 1));
  RequireInvalid(signer, handle.substr(0, handle.size() - 4));
  RequireInvalid(signer, handle.substr(0, dot + 1));
  RequireInvalid(signer, handle.substr(0, dot));
  RequireInvalid(signer, handle.substr(1));
  RequireInvalid(signer, handle.substr(dot));
}

TEST_CASE("empty, garbage and huge handles are rejected") {
  HandleSigner signer = SignerWith('s');
  std::string genuine = signer.Issue({HandleKind::kKeyPair, "device-id", {}});
  RequireInvalid(signer, "");
  RequireInvalid(signer, ".");
  RequireInvalid(signer, "..");
  RequireInvalid(signer, "not a handle");
  RequireInvalid(signer, "e30.e30");
  RequireInvalid(signer, std::string("\0\0\0.\0", 5));
  RequireInvalid(signer, "\xff\xfe.\x80");
  RequireInvalid(signer, genuine + "." + genuine);
  RequireInvalid(signer, genuine + " ");
  RequireInvalid(signer, std::string(1 << 20, 'A'));
  RequireInvalid(signer, std::string(100000, 'A') + "." + std::string(43, 'A'));
}

TEST_CASE("a genuinely signed payload that is not a handle is rejected") {
  // Claims that verify but make no sense must still fail, not crash: sign them with the secret
  // itself.
  Secret key = Secret::FromString(std::string(32, 's'));
  HandleSigner signer(key.Copy());
  auto sign = [&](const std::string& payload) {
    unsigned char mac[32];
    unsigned int len = 32;
    HMAC(EVP_sha256(), key.data(), 32, reinterpret_cast<const unsigned char*>(payload.data()),
         payload.size(), mac, &len);
    return edgesec::Base64UrlEncode(reinterpret_cast<const unsigned char*>(payload.data()),
                                    payload.size()) +
           "." + edgesec::Base64UrlEncode(mac, sizeof mac);
  };
  // Sanity check of the helper: a well-formed payload signed this way verifies.
  REQUIRE(signer.Verify(sign(R"({"v":1,"k":"pair","id":"x","n":"AA"})")));
  RequireInvalid(signer, sign("not json"));
  RequireInvalid(signer, sign("[1,2]"));
  RequireInvalid(signer, sign(R"({"v":1,"k":"pair"})"));
  RequireInvalid(signer, sign(R"({"v":1,"k":"other","id":"x"})"));
  RequireInvalid(signer, sign(R"({"v":1,"k":"derived","id":"x"})"));
  RequireInvalid(signer, sign(R"({"v":1,"k":7,"id":"x"})"));
}

TEST_CASE("LoadOrCreate creates a 32-byte secret file with mode 0600") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/handle-secret";
  mode_t old_umask = ::umask(0);  // the mode must not depend on the caller's umask
  auto signer = HandleSigner::LoadOrCreate(path);
  ::umask(old_umask);
  REQUIRE(signer);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_size == 32);
  auto files = edgesec::fs::ListFiles(dir.path());
  REQUIRE(files);
  CHECK(*files == std::vector<std::string>{"handle-secret"});  // no temp file left behind
}

TEST_CASE("LoadOrCreate reloads the same secret, so handles survive a restart") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/handle-secret";
  auto first = HandleSigner::LoadOrCreate(path);
  REQUIRE(first);
  auto before = edgesec::fs::ReadFile(path);
  REQUIRE(before);
  std::string handle = first->Issue({HandleKind::kDerived, "base", {9, 8, 7}});
  auto second = HandleSigner::LoadOrCreate(path);
  REQUIRE(second);
  auto claims = second->Verify(handle);
  REQUIRE(claims);
  CHECK(claims->key_id == "base");
  CHECK(claims->derivation_data == Bytes{9, 8, 7});
  auto after = edgesec::fs::ReadFile(path);
  REQUIRE(after);
  CHECK(*after == *before);  // not rewritten
  // A fresh install (another secret file) does not accept it.
  auto other = HandleSigner::LoadOrCreate(dir.path() + "/other-secret");
  REQUIRE(other);
  RequireInvalid(*other, handle);
}

TEST_CASE("LoadOrCreate keeps a damaged or exposed secret file aside and makes a new one") {
  for (mode_t mode : {mode_t(0600), mode_t(0644)}) {
    edgesec::testing::TempDir dir;
    std::string path = dir.path() + "/handle-secret";
    std::string old = mode == 0600 ? "short" : std::string(32, 'x');
    INFO("mode " << mode << ", " << old.size() << " bytes");
    REQUIRE(edgesec::fs::AtomicWriteFile(path, old, mode));
    auto signer = HandleSigner::LoadOrCreate(path);
    REQUIRE(signer);
    auto text = edgesec::fs::ReadFile(path);
    REQUIRE(text);
    CHECK(text->size() == 32);
    CHECK(*text != old);
    auto files = edgesec::fs::ListFiles(dir.path());
    REQUIRE(files);
    REQUIRE(files->size() == 2);
    CHECK((*files)[1].rfind("handle-secret.bad-", 0) == 0);  // the old one, kept for the operator
    CHECK(edgesec::fs::ReadFile(dir.path() + "/" + (*files)[1]).value() == old);
  }
}

// Verified handles are remembered by their payload; the MAC of each use is still compared.
TEST_CASE("a handle verified before is rejected when its MAC is altered, and still verifies intact") {
  HandleSigner signer = SignerWith('s');
  std::string handle = signer.Issue({HandleKind::kKeyPair, "device-id", {}});
  REQUIRE(signer.Verify(handle));  // remembered now
  size_t dot = handle.find('.');
  for (size_t i : {dot + 1, (dot + handle.size()) / 2, handle.size() - 2}) {
    std::string altered = handle;
    altered[i] = Other(altered[i]);
    RequireInvalid(signer, altered);
  }
  // Another genuine handle's MAC on the remembered payload.
  std::string other = signer.Issue({HandleKind::kKeyPair, "device-id", {}});
  REQUIRE(signer.Verify(other));
  RequireInvalid(signer, handle.substr(0, dot) + other.substr(other.find('.')));
  RequireInvalid(signer, handle.substr(0, dot) + ".");
  auto claims = signer.Verify(handle);
  REQUIRE(claims);
  CHECK(claims->key_id == "device-id");
}

TEST_CASE("a remembered payload with the other install's MAC is rejected") {
  HandleSigner ours = SignerWith('s');
  HandleSigner theirs = SignerWith('t');
  std::string handle = ours.Issue({HandleKind::kSecret, "k", {}});
  REQUIRE(ours.Verify(handle));
  std::string payload = handle.substr(0, handle.find('.'));
  // The same payload signed with another secret (what a holder of that secret could forge).
  auto text = edgesec::Base64UrlDecode(payload);
  REQUIRE(text);
  unsigned char mac[32];
  unsigned int len = 32;
  Secret other = Secret::FromString(std::string(32, 't'));
  HMAC(EVP_sha256(), other.data(), 32, text->data(), text->size(), mac, &len);
  RequireInvalid(ours, payload + "." + edgesec::Base64UrlEncode(mac, sizeof mac));
  RequireInvalid(theirs, handle);
}

TEST_CASE("more handles than are remembered all keep verifying with their own claims") {
  HandleSigner signer = SignerWith('s');
  std::vector<std::pair<std::string, std::string>> handles;
  for (int i = 0; i < 700; ++i) {
    std::string id = "key-" + std::to_string(i);
    handles.emplace_back(id, signer.Issue({HandleKind::kKeyPair, id, {}}));
  }
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& [id, handle] : handles) {
      auto claims = signer.Verify(handle);
      REQUIRE(claims);
      REQUIRE(claims->key_id == id);
    }
  // A long derived handle (not remembered) verifies each time too.
  Bytes data(2000, 0x42);
  std::string derived = signer.Issue({HandleKind::kDerived, "base", data});
  for (int i = 0; i < 2; ++i) {
    auto claims = signer.Verify(derived);
    REQUIRE(claims);
    CHECK(claims->derivation_data == data);
  }
}

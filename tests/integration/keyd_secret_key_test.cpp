// Symmetric keys through the real client library: POST /key (generate and import), GET /key, DELETE
// /key, AEAD encrypt/decrypt, HMAC-SHA256 sign, derived keys and their export, usage enforcement.
// Wherever the test knows the key bytes, OpenSSL in the test computes the expected result.
#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using keyd::api::CreateKeyRequest;
using keyd::api::EncryptAlgorithm;
using keyd::api::EncryptRequest;
using keyd::api::SignAlgorithm;
using keyd::api::SignRequest;

namespace {

constexpr uint32_t kAll = EDGESEC_USAGE_DERIVE | EDGESEC_USAGE_ENCRYPT | EDGESEC_USAGE_SIGN;

Bytes KeyBytes(unsigned char seed) {
  Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(seed + i * 13);
  return key;
}

EncryptRequest Aead(const std::string& handle, const Bytes& iv, const Bytes& aad, const Bytes& data) {
  EncryptRequest r;
  r.key_handle = handle;
  r.algorithm = EncryptAlgorithm::kAead;
  r.iv = iv;
  r.aad = aad;
  r.data = data;
  return r;
}

}  // namespace

TEST_CASE("AEAD encrypt and decrypt round-trip with iv and aad; altered ciphertext or aad is 400") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKey(CreateKeyRequest{"aead", EDGESEC_USAGE_ENCRYPT, std::nullopt}));
  Bytes iv = ToBytes("unique-nonce"), aad = ToBytes("module:$edgeHub");
  Bytes plaintext = ToBytes("the module's connection string");
  Bytes sealed = MUST(k.client.Encrypt(Aead(handle, iv, aad, plaintext)));
  CHECK(sealed.size() == plaintext.size() + 16);
  CHECK(MUST(k.client.Decrypt(Aead(handle, iv, aad, sealed))) == plaintext);
  // Another iv gives another ciphertext.
  CHECK(MUST(k.client.Encrypt(Aead(handle, ToBytes("other-nonce!"), aad, plaintext))) != sealed);

  Bytes flipped = sealed;
  flipped[3] ^= 0x01;
  Error e = MustFail(k.client.Decrypt(Aead(handle, iv, aad, flipped)));
  CHECK(e.kind == ErrorKind::kInvalidParameter);
  Bytes bad_tag = sealed;
  bad_tag.back() ^= 0x80;
  CHECK(MustFail(k.client.Decrypt(Aead(handle, iv, aad, bad_tag))).kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client.Decrypt(Aead(handle, iv, ToBytes("module:other"), sealed))).kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client.Decrypt(Aead(handle, ToBytes("wrong-nonce!"), aad, sealed))).kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client.Decrypt(Aead(handle, iv, aad, Bytes(8, 0)))).kind == ErrorKind::kInvalidParameter);
}

TEST_CASE("AEAD with an imported key is AES-256-GCM as OpenSSL computes it") {
  Keyd k;
  Bytes key = KeyBytes(7);
  std::string handle = MUST(k.client.CreateKey(CreateKeyRequest{"aead-imported", EDGESEC_USAGE_ENCRYPT, key}));
  Bytes iv = ToBytes("0123456789ab"), aad = ToBytes("header");
  Bytes plaintext = ToBytes("sealed by keyd, opened by the test");
  Bytes sealed = MUST(k.client.Encrypt(Aead(handle, iv, aad, plaintext)));
  CHECK(sealed == AesGcmEncrypt(key, iv, aad, plaintext));
  CHECK(AesGcmDecrypt(key, iv, aad, sealed) == std::optional<Bytes>(plaintext));
  // Sealed by the test, opened by keyd.
  Bytes mine = AesGcmEncrypt(key, iv, aad, ToBytes("the other way round"));
  CHECK(MUST(k.client.Decrypt(Aead(handle, iv, aad, mine))) == ToBytes("the other way round"));
}

TEST_CASE("HMAC-SHA256 with an imported key equals OpenSSL's HMAC") {
  Keyd k;
  for (size_t length : {16u, 32u, 64u, 100u}) {
    INFO("key length " << length);
    Bytes key(length);
    for (size_t i = 0; i < length; ++i) key[i] = static_cast<unsigned char>(length + i);
    std::string id = "hmac-" + std::to_string(length);
    std::string handle = MUST(k.client.CreateKey(CreateKeyRequest{id, EDGESEC_USAGE_SIGN, key}));
    for (const Bytes& message : {ToBytes("SharedAccessSignature sr=hub"), Bytes{}, Bytes(3000, 0x5a)}) {
      Bytes mac = MUST(k.client.Sign(SignRequest{handle, SignAlgorithm::kHmacSha256, message}));
      CHECK(mac == HmacSha256(key, message));
    }
  }
}

TEST_CASE("generated keys are created if absent, found by id and deleted by handle") {
  Keyd k;
  std::string first = MUST(k.client.CreateKey(CreateKeyRequest{"master", kAll, std::nullopt}));
  Bytes message = ToBytes("same key?");
  Bytes mac = MUST(k.client.Sign(SignRequest{first, SignAlgorithm::kHmacSha256, message}));
  CHECK(mac.size() == 32);
  // Generating again keeps the existing key (as key pairs do); GET gives a handle to it too.
  std::string second = MUST(k.client.CreateKey(CreateKeyRequest{"master", kAll, std::nullopt}));
  CHECK(MUST(k.client.Sign(SignRequest{second, SignAlgorithm::kHmacSha256, message})) == mac);
  std::string got = MUST(k.client.GetKey("master"));
  CHECK(MUST(k.client.Sign(SignRequest{got, SignAlgorithm::kHmacSha256, message})) == mac);
  // Two generated keys differ.
  std::string other = MUST(k.client.CreateKey(CreateKeyRequest{"other", kAll, std::nullopt}));
  CHECK(MUST(k.client.Sign(SignRequest{other, SignAlgorithm::kHmacSha256, message})) != mac);

  CHECK(MustFail(k.client.GetKey("absent")).kind == ErrorKind::kNotFound);
  MUST(k.client.DeleteKey(got));
  CHECK(MustFail(k.client.GetKey("master")).kind == ErrorKind::kNotFound);
  CHECK(MustFail(k.client.Sign(SignRequest{first, SignAlgorithm::kHmacSha256, message})).kind == ErrorKind::kNotFound);
  // A key pair handle is not a key handle, and the reverse.
  std::string pair = MUST(k.client.CreateKeyPairIfNotExists("pair"));
  CHECK(MustFail(k.client.DeleteKey(pair)).kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client.DeleteKeyPair(other)).kind == ErrorKind::kInvalidParameter);
  CHECK(MUST(k.client.GetKeyPair("pair")) != "");
}

TEST_CASE("an imported key replaces a key of the same id") {
  Keyd k;
  MUST(k.client.CreateKey(CreateKeyRequest{"rotating", EDGESEC_USAGE_SIGN, KeyBytes(1)}));
  std::string handle = MUST(k.client.CreateKey(CreateKeyRequest{"rotating", EDGESEC_USAGE_SIGN, KeyBytes(2)}));
  Bytes message = ToBytes("rotated");
  CHECK(MUST(k.client.Sign(SignRequest{handle, SignAlgorithm::kHmacSha256, message})) == HmacSha256(KeyBytes(2), message));
}

TEST_CASE("a derived key is HMAC-SHA256(base key, derivationData) and exports as such") {
  Keyd k;
  Bytes base = KeyBytes(42);
  std::string base_handle = MUST(k.client.CreateKey(CreateKeyRequest{"device-primary", kAll, base}));
  Bytes data = ToBytes("$edgeAgent");
  std::string derived = MUST(k.client.DeriveKey(base_handle, data));
  Bytes expected = HmacSha256(base, data);
  CHECK(MUST(k.client.ExportDerivedKey(derived)) == expected);

  // The derived key works as a key: HMAC with it equals HMAC keyed by the exported bytes.
  Bytes message = ToBytes("sr=hub%2Fdevices%2Fd1&se=1700000000");
  CHECK(MUST(k.client.Sign(SignRequest{derived, SignAlgorithm::kHmacSha256, message})) == HmacSha256(expected, message));
  // And as an AES-256-GCM key.
  Bytes iv = ToBytes("iv-of-12-byt"), aad = ToBytes("aad");
  Bytes sealed = MUST(k.client.Encrypt(Aead(derived, iv, aad, ToBytes("derived secret"))));
  CHECK(AesGcmDecrypt(expected, iv, aad, sealed) == std::optional<Bytes>(ToBytes("derived secret")));

  // Other derivation data, other key; the same data, the same key.
  CHECK(MUST(k.client.ExportDerivedKey(MUST(k.client.DeriveKey(base_handle, ToBytes("$edgeHub"))))) ==
        HmacSha256(base, ToBytes("$edgeHub")));
  CHECK(MUST(k.client.ExportDerivedKey(MUST(k.client.DeriveKey(base_handle, data)))) == expected);

  SECTION("nested derivation is 400") {
    Error e = MustFail(k.client.DeriveKey(derived, ToBytes("again")));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK_THAT(e.message, Catch::Contains("derived"));
  }
  SECTION("only derived keys can be exported") {
    CHECK(MustFail(k.client.ExportDerivedKey(base_handle)).kind == ErrorKind::kInvalidParameter);
    std::string pair = MUST(k.client.CreateKeyPairIfNotExists("pair"));
    CHECK(MustFail(k.client.ExportDerivedKey(pair)).kind == ErrorKind::kInvalidParameter);
    CHECK(MustFail(k.client.DeriveKey(pair, data)).kind == ErrorKind::kInvalidParameter);
  }
}

TEST_CASE("a key is used only for the usages it was created with") {
  Keyd k;
  Bytes key = KeyBytes(9);
  std::string sign_only = MUST(k.client.CreateKey(CreateKeyRequest{"sign-only", EDGESEC_USAGE_SIGN, key}));
  std::string encrypt_only = MUST(k.client.CreateKey(CreateKeyRequest{"encrypt-only", EDGESEC_USAGE_ENCRYPT, key}));
  std::string derive_only = MUST(k.client.CreateKey(CreateKeyRequest{"derive-only", EDGESEC_USAGE_DERIVE, key}));
  Bytes message = ToBytes("m"), iv = ToBytes("123456789012");

  // The permitted use works.
  CHECK(MUST(k.client.Sign(SignRequest{sign_only, SignAlgorithm::kHmacSha256, message})) == HmacSha256(key, message));
  MUST(k.client.Encrypt(Aead(encrypt_only, iv, {}, message)));
  std::string derived = MUST(k.client.DeriveKey(derive_only, message));

  // A key without 'sign' cannot sign.
  for (const std::string& h : {encrypt_only, derive_only}) {
    Error e = MustFail(k.client.Sign(SignRequest{h, SignAlgorithm::kHmacSha256, message}));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK_THAT(e.message, Catch::Contains("sign"));
  }
  // Without 'encrypt': no AEAD either way.
  for (const std::string& h : {sign_only, derive_only}) {
    CHECK(MustFail(k.client.Encrypt(Aead(h, iv, {}, message))).kind == ErrorKind::kInvalidParameter);
    CHECK(MustFail(k.client.Decrypt(Aead(h, iv, {}, Bytes(20, 0)))).kind == ErrorKind::kInvalidParameter);
  }
  // Without 'derive': no derivation.
  for (const std::string& h : {sign_only, encrypt_only}) {
    Error e = MustFail(k.client.DeriveKey(h, message));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK_THAT(e.message, Catch::Contains("derive"));
  }
  // The derived key (from a derive-only key) can still be exported and used.
  CHECK(MUST(k.client.ExportDerivedKey(derived)) == HmacSha256(key, message));
}

TEST_CASE("an unknown or empty usage is 400") {
  Keyd k;
  // Deliberately raw: the typed client never sends an unknown usage.
  http::UnixClient raw(k.socket());
  auto r = raw.CallJson("POST", At("/key"), Json{{"keyId", "k"}, {"usage", "sign,fly"}});
  CHECK(MustFail(std::move(r)).kind == ErrorKind::kInvalidParameter);
  r = raw.CallJson("POST", At("/key"), Json{{"keyId", "k"}, {"usage", ""}});
  CHECK(MustFail(std::move(r)).kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client.GetKey("k")).kind == ErrorKind::kNotFound);
}

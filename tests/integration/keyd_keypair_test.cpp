// Key pair routes through the real client library: create-if-absent, get, move, import, delete, list,
// parameters. Every public value keyd reports is checked against what OpenSSL computes itself.
#include <openssl/core_names.h>
#include <openssl/objects.h>

#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

std::string PublicPemOf(keyd::KeydClient& client, const std::string& handle) {
  EvpPkeyPtr pub = MUST(client.PublicKey(handle));
  return PublicPem(pub.get());
}

// Signs a fresh digest through keyd and verifies it with the public key rebuilt from the parameters.
void RequireSignsVerifiably(keyd::KeydClient& client, const std::string& handle) {
  EvpPkeyPtr pub = MUST(client.PublicKey(handle));
  Bytes message = ToBytes("proof of possession");
  keyd::api::SignRequest req;
  req.key_handle = handle;
  switch (EVP_PKEY_get_base_id(pub.get())) {
    case EVP_PKEY_EC: req.algorithm = keyd::api::SignAlgorithm::kEcdsa; break;
    case EVP_PKEY_RSA: req.algorithm = keyd::api::SignAlgorithm::kRsaPkcs1Sha256; break;
    default: req.algorithm = keyd::api::SignAlgorithm::kEdDsa; break;
  }
  req.data = req.algorithm == keyd::api::SignAlgorithm::kEdDsa ? message : Sha256Of(message);
  Bytes sig = MUST(client.Sign(req));
  if (req.algorithm == keyd::api::SignAlgorithm::kEdDsa) REQUIRE(VerifyEd25519(pub.get(), message, sig));
  else REQUIRE(VerifyDigest(pub.get(), req.data, sig));
}

Bytes BigEndianParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
  Bytes out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  BN_free(bn);
  return out;
}

Bytes EncodedPoint(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    Bytes raw(32);
    size_t len = raw.size();
    REQUIRE(EVP_PKEY_get_raw_public_key(key, raw.data(), &len) == 1);
    return raw;
  }
  Bytes buf(256);
  size_t len = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf.data(), buf.size(), &len) == 1);
  buf.resize(len);
  REQUIRE(buf[0] == 0x04);  // uncompressed, as API.md requires
  return buf;
}

}  // namespace

TEST_CASE("creating a key pair twice returns a handle to the same key") {
  Keyd k;
  std::string first = MUST(k.client.CreateKeyPairIfNotExists("device-key", std::string("ec-p256")));
  std::string pem = PublicPemOf(k.client, first);
  // Another algorithm the second time: the existing key is kept, not replaced.
  std::string second = MUST(k.client.CreateKeyPairIfNotExists("device-key", std::string("rsa-2048")));
  CHECK(PublicPemOf(k.client, second) == pem);
  CHECK(MUST(k.client.GetParameter(second, "algorithm")) == "ECDSA");
  std::string got = MUST(k.client.GetKeyPair("device-key"));
  CHECK(PublicPemOf(k.client, got) == pem);
  RequireSignsVerifiably(k.client, first);
  RequireSignsVerifiably(k.client, second);
}

TEST_CASE("preferredAlgorithms creates each key pair algorithm") {
  Keyd k;
  struct Case { const char* token; int type; int bits; int curve_nid; };
  const Case cases[] = {{"ec-p256", EVP_PKEY_EC, 256, NID_X9_62_prime256v1}, {"ec-p384", EVP_PKEY_EC, 384, NID_secp384r1},
                        {"rsa-2048", EVP_PKEY_RSA, 2048, 0}, {"rsa-3072", EVP_PKEY_RSA, 3072, 0},
                        {"rsa-4096", EVP_PKEY_RSA, 4096, 0}, {"ed25519", EVP_PKEY_ED25519, 256, NID_ED25519}};
  for (const Case& c : cases) {
    INFO("algorithm " << c.token);
    std::string id = std::string("k-") + c.token;
    // The first supported token wins; later ones are fallbacks only.
    std::string handle = MUST(k.client.CreateKeyPairIfNotExists(id, std::string(c.token) + ":ec-p256:*"));
    EvpPkeyPtr pub = MUST(k.client.PublicKey(handle));
    CHECK(EVP_PKEY_get_base_id(pub.get()) == c.type);
    CHECK(EVP_PKEY_get_bits(pub.get()) == c.bits);
    if (c.curve_nid != 0) CHECK(Unb64(MUST(k.client.GetParameter(handle, "ec-curve-oid"))) == CurveOidDer(c.curve_nid));
    RequireSignsVerifiably(k.client, handle);
  }
  // "*" (and no preference at all) means ec-p256 first.
  EvpPkeyPtr star = MUST(k.client.PublicKey(MUST(k.client.CreateKeyPairIfNotExists("k-star", std::string("*")))));
  CHECK((EVP_PKEY_get_base_id(star.get()) == EVP_PKEY_EC && EVP_PKEY_get_bits(star.get()) == 256));
  EvpPkeyPtr none = MUST(k.client.PublicKey(MUST(k.client.CreateKeyPairIfNotExists("k-default"))));
  CHECK((EVP_PKEY_get_base_id(none.get()) == EVP_PKEY_EC && EVP_PKEY_get_bits(none.get()) == 256));

  auto keys = MUST(k.client.ListKeyPairs());
  CHECK(keys.size() == 8);
  for (const auto& info : keys) {
    CHECK(info.engine == "file");
    CHECK(info.security_level == 0);
    if (info.key_id.rfind("k-", 0) == 0 && info.key_id != "k-star" && info.key_id != "k-default")
      CHECK(info.algorithm == info.key_id.substr(2));
  }
}

TEST_CASE("an unknown preferredAlgorithms token is rejected with 400 and creates nothing") {
  Keyd k;
  Error e = MustFail(k.client.CreateKeyPairIfNotExists("k1", std::string("ec-p521:rsa-2048")));
  CHECK(e.kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(e.message, Catch::Contains("preferredAlgorithms") && Catch::Contains("ec-p521"));
  CHECK(MustFail(k.client.GetKeyPair("k1")).kind == ErrorKind::kNotFound);
}

TEST_CASE("getting an absent key pair is 404") {
  Keyd k;
  Error e = MustFail(k.client.GetKeyPair("never-created"));
  CHECK(e.kind == ErrorKind::kNotFound);
  CHECK_THAT(e.message, Catch::Contains("never-created"));
}

TEST_CASE("moving a key pair renames it, replaces the target and removes the source") {
  Keyd k;
  std::string src = MUST(k.client.CreateKeyPairIfNotExists("new-key", std::string("ec-p384")));
  std::string pem = PublicPemOf(k.client, src);
  MUST(k.client.CreateKeyPairIfNotExists("current-key", std::string("ec-p256")));
  MUST(k.client.MoveKeyPair("new-key", "current-key"));
  std::string moved = MUST(k.client.GetKeyPair("current-key"));
  CHECK(PublicPemOf(k.client, moved) == pem);
  RequireSignsVerifiably(k.client, moved);
  CHECK(MustFail(k.client.GetKeyPair("new-key")).kind == ErrorKind::kNotFound);
  // The old handle names a key that no longer exists.
  CHECK(MustFail(k.client.GetParameter(src, "algorithm")).kind == ErrorKind::kNotFound);

  SECTION("onto itself is 400") {
    Error e = MustFail(k.client.MoveKeyPair("current-key", "current-key"));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK_THAT(e.message, Catch::Contains("from"));
    CHECK(PublicPemOf(k.client, MUST(k.client.GetKeyPair("current-key"))) == pem);
  }
  SECTION("from an absent key is 404") {
    CHECK(MustFail(k.client.MoveKeyPair("no-such-key", "current-key")).kind == ErrorKind::kNotFound);
    CHECK(PublicPemOf(k.client, MUST(k.client.GetKeyPair("current-key"))) == pem);
  }
}

TEST_CASE("an imported PKCS#8 key signs verifiably with the original public key and reports its parameters") {
  Keyd k;
  for (const char* algorithm : {"ec-p256", "ec-p384", "rsa-2048", "ed25519"}) {
    INFO("algorithm " << algorithm);
    EvpPkeyPtr original = GenerateKey(algorithm);
    Bytes pkcs8 = MUST(PrivateKeyToPkcs8Der(original.get()));
    std::string id = std::string("imported-") + algorithm;
    std::string handle = MUST(k.client.ImportKeyPair(id, pkcs8));

    int type = EVP_PKEY_get_base_id(original.get());
    std::string algorithm_param = MUST(k.client.GetParameter(handle, "algorithm"));
    CHECK(algorithm_param == (type == EVP_PKEY_EC ? "ECDSA" : type == EVP_PKEY_RSA ? "RSA" : "EdDSA"));
    CHECK(MUST(k.client.GetParameter(handle, "engine")) == "file");
    CHECK(MUST(k.client.GetParameter(handle, "security-level")) == "SL0");
    if (type == EVP_PKEY_RSA) {
      CHECK(Unb64(MUST(k.client.GetParameter(handle, "rsa-modulus"))) == BigEndianParam(original.get(), OSSL_PKEY_PARAM_RSA_N));
      CHECK(Unb64(MUST(k.client.GetParameter(handle, "rsa-exponent"))) == BigEndianParam(original.get(), OSSL_PKEY_PARAM_RSA_E));
      CHECK(MustFail(k.client.GetParameter(handle, "ec-point")).kind == ErrorKind::kInvalidParameter);
      CHECK(MustFail(k.client.GetParameter(handle, "ec-curve-oid")).kind == ErrorKind::kInvalidParameter);
    } else {
      int nid = type == EVP_PKEY_ED25519 ? NID_ED25519 : std::string(algorithm) == "ec-p256" ? NID_X9_62_prime256v1 : NID_secp384r1;
      CHECK(Unb64(MUST(k.client.GetParameter(handle, "ec-curve-oid"))) == CurveOidDer(nid));
      CHECK(Unb64(MUST(k.client.GetParameter(handle, "ec-point"))) == EncodedPoint(original.get()));
      CHECK(MustFail(k.client.GetParameter(handle, "rsa-modulus")).kind == ErrorKind::kInvalidParameter);
    }
    CHECK(MustFail(k.client.GetParameter(handle, "colour")).kind == ErrorKind::kInvalidParameter);

    // Signed by keyd, verified with the key the test made: the import kept the private key.
    Bytes message = ToBytes("imported and used");
    keyd::api::SignRequest req;
    req.key_handle = handle;
    if (type == EVP_PKEY_ED25519) {
      req.algorithm = keyd::api::SignAlgorithm::kEdDsa;
      req.data = message;
      CHECK(VerifyEd25519(original.get(), message, MUST(k.client.Sign(req))));
    } else {
      req.algorithm = type == EVP_PKEY_EC ? keyd::api::SignAlgorithm::kEcdsa : keyd::api::SignAlgorithm::kRsaPkcs1Sha256;
      req.data = Sha256Of(message);
      CHECK(VerifyDigest(original.get(), req.data, MUST(k.client.Sign(req))));
    }
    EvpPkeyPtr rebuilt = MUST(k.client.PublicKey(handle));
    CHECK(EVP_PKEY_eq(rebuilt.get(), original.get()) == 1);
  }
}

TEST_CASE("importing bytes that are not a PKCS#8 key is 400") {
  Keyd k;
  Error e = MustFail(k.client.ImportKeyPair("junk", ToBytes("definitely not DER")));
  CHECK(e.kind == ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client.GetKeyPair("junk")).kind == ErrorKind::kNotFound);
}

TEST_CASE("a deleted key pair is gone: its handle and its id answer 404") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("short-lived"));
  MUST(k.client.DeleteKeyPair(handle));
  CHECK(MustFail(k.client.GetKeyPair("short-lived")).kind == ErrorKind::kNotFound);
  keyd::api::SignRequest req{handle, keyd::api::SignAlgorithm::kEcdsa, Sha256Of(ToBytes("x"))};
  CHECK(MustFail(k.client.Sign(req)).kind == ErrorKind::kNotFound);
  CHECK(MustFail(k.client.GetParameter(handle, "ec-point")).kind == ErrorKind::kNotFound);
  CHECK(MustFail(k.client.DeleteKeyPair(handle)).kind == ErrorKind::kNotFound);
  CHECK(MUST(k.client.ListKeyPairs()).empty());
  // The id is free again: a new key, not the old one.
  std::string again = MUST(k.client.CreateKeyPairIfNotExists("short-lived"));
  RequireSignsVerifiably(k.client, again);
}

TEST_CASE("listing key pairs names each key with its engine, algorithm and level") {
  Keyd k;
  CHECK(MUST(k.client.ListKeyPairs()).empty());
  MUST(k.client.CreateKeyPairIfNotExists("a-ec", std::string("ec-p256")));
  MUST(k.client.CreateKeyPairIfNotExists("b-rsa", std::string("rsa-2048")));
  MUST(k.client.ImportKeyPair("c-ed", MUST(PrivateKeyToPkcs8Der(GenerateKey("ed25519").get()))));
  // Secret keys are not key pairs and are not listed.
  MUST(k.client.CreateKey(keyd::api::CreateKeyRequest{"d-secret", EDGESEC_USAGE_SIGN, std::nullopt}));
  auto keys = MUST(k.client.ListKeyPairs());
  std::map<std::string, std::string> algorithms;
  for (const auto& info : keys) {
    algorithms[info.key_id] = info.algorithm;
    CHECK(info.engine == "file");
    CHECK(info.security_level == 0);
  }
  CHECK(algorithms == std::map<std::string, std::string>{{"a-ec", "ec-p256"}, {"b-rsa", "rsa-2048"}, {"c-ed", "ed25519"}});
}

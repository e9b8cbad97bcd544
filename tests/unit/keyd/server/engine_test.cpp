// keyd/server/engine: loading a vendor key engine through the C ABI (dlopen), and refusing one that
// is missing, is not an engine, or was built for another ABI version — with errors that name the
// path.
#include "keyd/server/engine.hpp"

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <string>

#include "common/ossl.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::Bytes;
using edgesec::ErrorKind;
using edgesec::keyd::Engine;
using edgesec::testing::BinaryFromEnv;

namespace {

const std::string kOptions = R"({"state_dir":"/nonexistent/unused","options":"x"})";

bool Verifies(EVP_PKEY* pub, const Bytes& digest, const Bytes& signature) {
  edgesec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub, nullptr));
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_verify_init(ctx.get()) == 1);
  return EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(),
                         digest.size()) == 1;
}

}  // namespace

TEST_CASE("a vendor engine built for this ABI loads and reports its security level") {
  auto engine = Engine::Load("vendor", BinaryFromEnv("EDGESEC_TEST_ENGINE"), kOptions);
  REQUIRE(engine);
  CHECK((*engine)->name() == "vendor");
  CHECK((*engine)->security_level() == 2);
}

TEST_CASE(
    "a vendor engine generates a key, gives its public key and signs so that OpenSSL verifies") {
  auto loaded = Engine::Load("vendor", BinaryFromEnv("EDGESEC_TEST_ENGINE"), kOptions);
  REQUIRE(loaded);
  Engine& engine = **loaded;
  REQUIRE(engine.GenerateKeyPair("vendor-1", "ec-p256"));
  auto pub = engine.GetKeyPair("vendor-1");
  REQUIRE(pub);
  CHECK(pub->algorithm == "ec-p256");
  auto key = edgesec::PublicKeyFromSpkiDer(pub->spki);
  REQUIRE(key);
  CHECK(EVP_PKEY_get_base_id(key->get()) == EVP_PKEY_EC);

  Bytes digest = edgesec::Sha256("message to sign");
  auto signature = engine.Sign("vendor-1", EDGESEC_MECH_ECDSA, digest);
  REQUIRE(signature);
  CHECK(Verifies(key->get(), digest, *signature));
  Bytes other = edgesec::Sha256("another message");
  CHECK_FALSE(Verifies(key->get(), other, *signature));
}

TEST_CASE("a vendor engine's refusals become errors of the right kind") {
  auto loaded = Engine::Load("vendor", BinaryFromEnv("EDGESEC_TEST_ENGINE"), kOptions);
  REQUIRE(loaded);
  Engine& engine = **loaded;
  auto unsupported = engine.GenerateKeyPair("k", "rsa-2048");
  REQUIRE_FALSE(unsupported);
  CHECK(unsupported.error().kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(unsupported.error().message,
             Catch::Contains("'vendor'") && Catch::Contains("rsa-2048"));

  auto missing = engine.GetKeyPair("absent");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kNotFound);

  REQUIRE(engine.GenerateKeyPair("k", "ec-p256"));
  auto wrong_mechanism = engine.Sign("k", EDGESEC_MECH_RSA_PSS_SHA256, edgesec::Sha256("x"));
  REQUIRE_FALSE(wrong_mechanism);
  CHECK(wrong_mechanism.error().kind == ErrorKind::kInvalidParameter);
  auto bad_digest = engine.Sign("k", EDGESEC_MECH_ECDSA, Bytes(100, 1));
  REQUIRE_FALSE(bad_digest);
  CHECK(bad_digest.error().kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(bad_digest.error().message, Catch::Contains("test engine: digest"));
}

TEST_CASE("a vendor engine's keys can be listed, moved and deleted through the loader") {
  auto loaded = Engine::Load("vendor", BinaryFromEnv("EDGESEC_TEST_ENGINE"), kOptions);
  REQUIRE(loaded);
  Engine& engine = **loaded;
  REQUIRE(engine.GenerateKeyPair("a", "ec-p256"));
  auto spki_a = engine.GetKeyPair("a");
  REQUIRE(spki_a);
  REQUIRE(engine.Move(EDGESEC_KEY_PAIR, "a", "b"));
  CHECK_FALSE(engine.GetKeyPair("a"));
  auto spki_b = engine.GetKeyPair("b");
  REQUIRE(spki_b);
  CHECK(spki_b->spki == spki_a->spki);
  auto listed = engine.List();
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].id == "b");
  CHECK((*listed)[0].kind == EDGESEC_KEY_PAIR);
  CHECK((*listed)[0].algorithm == "ec-p256");
  REQUIRE(engine.Delete(EDGESEC_KEY_PAIR, "b"));
  auto gone = engine.GetKeyPair("b");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().kind == ErrorKind::kNotFound);
}

TEST_CASE("an engine built for another ABI version is refused, naming the path and both versions") {
  std::string path = BinaryFromEnv("EDGESEC_TEST_ENGINE_ABI99");
  auto engine = Engine::Load("vendor", path, kOptions);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().kind == ErrorKind::kConfig);
  const std::string& m = engine.error().message;
  CHECK_THAT(m, Catch::Contains("'" + path + "'") && Catch::Contains("'vendor'"));
  CHECK_THAT(m, Catch::Contains("ABI version 99") && Catch::Contains("version 1"));
}

TEST_CASE("an engine path that does not exist is refused, naming the path") {
  std::string path = "/nonexistent/edgesec/libvendor-engine.so";
  auto engine = Engine::Load("vendor", path, kOptions);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().kind == ErrorKind::kConfig);
  CHECK_THAT(engine.error().message,
             Catch::Contains("'" + path + "'") && Catch::Contains("cannot load"));
}

TEST_CASE("a file that is not a shared object is refused, naming the path") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/engine.so";
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs("not an ELF file\n", f);
  std::fclose(f);
  auto engine = Engine::Load("vendor", path, kOptions);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().kind == ErrorKind::kConfig);
  CHECK_THAT(engine.error().message, Catch::Contains("'" + path + "'"));
}

TEST_CASE(
    "a shared object without the entry point is refused, naming the path and the entry point") {
  std::string path = BinaryFromEnv("EDGESEC_TEST_NO_ENTRY_ENGINE");
  auto engine = Engine::Load("vendor", path, kOptions);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().kind == ErrorKind::kConfig);
  CHECK_THAT(engine.error().message,
             Catch::Contains("'" + path + "'") && Catch::Contains(EDGESEC_KEY_ENGINE_ENTRY));
}

TEST_CASE("an engine whose open fails is refused with its own message") {
  auto engine = Engine::Load("vendor", BinaryFromEnv("EDGESEC_TEST_ENGINE"), "not json");
  REQUIRE_FALSE(engine);
  CHECK(engine.error().kind == ErrorKind::kConfig);
  CHECK_THAT(engine.error().message,
             Catch::Contains("'vendor'") && Catch::Contains("options are not JSON"));
}

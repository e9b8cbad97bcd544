// POST /sign and the RSA private-key operations of POST /encrypt through the real client library. Every
// signature is verified by OpenSSL in this process; one ECDSA and one RSA signature also by the
// `openssl` command line.
#include <openssl/objects.h>

#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using keyd::api::EncryptAlgorithm;
using keyd::api::SignAlgorithm;

namespace {

struct SignedKey {
  std::string handle;
  EvpPkeyPtr pub;
};

SignedKey Create(Keyd& k, const std::string& id, const std::string& algorithm) {
  SignedKey s;
  s.handle = MUST(k.client.CreateKeyPairIfNotExists(id, algorithm));
  s.pub = MUST(k.client.PublicKey(s.handle));
  return s;
}

Bytes Sign(Keyd& k, const std::string& handle, SignAlgorithm algorithm, const Bytes& data) {
  return MUST(k.client.Sign(keyd::api::SignRequest{handle, algorithm, data}));
}

// `openssl dgst -sha256 -verify pub.pem -signature sig data` on files in the keyd's temp dir.
RunResult OpensslDgstVerify(const Keyd& k, EVP_PKEY* pub, const Bytes& data, const Bytes& sig,
                            std::vector<std::string> extra = {}) {
  std::string dir = k.dir();
  std::string pem_path = dir + "/pub.pem";
  std::string pem = PublicPem(pub);
  WriteBinaryFile(pem_path, ToBytes(pem));
  WriteBinaryFile(dir + "/data.bin", data);
  WriteBinaryFile(dir + "/sig.bin", sig);
  std::vector<std::string> argv = {"openssl", "dgst", "-sha256", "-verify", pem_path, "-signature", dir + "/sig.bin"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(dir + "/data.bin");
  return Run(argv);
}

}  // namespace

TEST_CASE("ECDSA signatures on P-256 and P-384 verify with OpenSSL") {
  Keyd k;
  for (const char* algorithm : {"ec-p256", "ec-p384"}) {
    INFO(algorithm);
    SignedKey key = Create(k, std::string("ecdsa-") + algorithm, algorithm);
    Bytes message = ToBytes("edge gateway telemetry");
    // The caller hashes; P-384 with SHA-384 and with SHA-256 (any digest length the curve accepts).
    for (const Bytes& digest : {Sha256Of(message), Sha384Of(message)}) {
      Bytes sig = Sign(k, key.handle, SignAlgorithm::kEcdsa, digest);
      CHECK(sig[0] == 0x30);  // DER ECDSA-Sig-Value
      CHECK(VerifyDigest(key.pub.get(), digest, sig));
      Bytes other = digest;
      other[0] ^= 1;
      CHECK_FALSE(VerifyDigest(key.pub.get(), other, sig));
    }
  }
}

TEST_CASE("an ECDSA signature verifies with the openssl command line") {
  Keyd k;
  SignedKey key = Create(k, "ecdsa-cli", "ec-p256");
  Bytes message = ToBytes("signed by keyd, checked by openssl(1)");
  Bytes sig = Sign(k, key.handle, SignAlgorithm::kEcdsa, Sha256Of(message));
  RunResult ok = OpensslDgstVerify(k, key.pub.get(), message, sig);
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("Verified OK"));
  RunResult tampered = OpensslDgstVerify(k, key.pub.get(), ToBytes("something else"), sig);
  CHECK(tampered.exit_code != 0);
}

TEST_CASE("RSA-PKCS1-SHA256 and RSA-PSS-SHA256 signatures verify with OpenSSL") {
  Keyd k;
  SignedKey key = Create(k, "rsa-signer", "rsa-2048");
  Bytes message = ToBytes("certificate signing request");
  Bytes digest = Sha256Of(message);

  Bytes pkcs1 = Sign(k, key.handle, SignAlgorithm::kRsaPkcs1Sha256, digest);
  CHECK(pkcs1.size() == 256);
  CHECK(VerifyDigest(key.pub.get(), digest, pkcs1, RsaScheme::kPkcs1));
  CHECK_FALSE(VerifyDigest(key.pub.get(), digest, pkcs1, RsaScheme::kPss));
  // PKCS#1 v1.5 is deterministic; PSS is salted.
  CHECK(Sign(k, key.handle, SignAlgorithm::kRsaPkcs1Sha256, digest) == pkcs1);

  Bytes pss = Sign(k, key.handle, SignAlgorithm::kRsaPssSha256, digest);
  CHECK(VerifyDigest(key.pub.get(), digest, pss, RsaScheme::kPss));
  CHECK_FALSE(VerifyDigest(key.pub.get(), digest, pss, RsaScheme::kPkcs1));
  CHECK(Sign(k, key.handle, SignAlgorithm::kRsaPssSha256, digest) != pss);

  SECTION("and with the openssl command line") {
    RunResult v1 = OpensslDgstVerify(k, key.pub.get(), message, pkcs1);
    INFO(v1.out << v1.err);
    CHECK(v1.exit_code == 0);
    CHECK_THAT(v1.out, Catch::Contains("Verified OK"));
    RunResult v2 = OpensslDgstVerify(k, key.pub.get(), message, pss,
                                     {"-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
                                      "-sigopt", "rsa_mgf1_md:sha256"});
    INFO(v2.out << v2.err);
    CHECK(v2.exit_code == 0);
    CHECK_THAT(v2.out, Catch::Contains("Verified OK"));
  }
  SECTION("a digest that is not 32 bytes is 400") {
    Error e = MustFail(k.client.Sign(keyd::api::SignRequest{key.handle, SignAlgorithm::kRsaPkcs1Sha256, Sha384Of(message)}));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
  }
}

TEST_CASE("EdDSA signatures over the message verify with OpenSSL") {
  Keyd k;
  SignedKey key = Create(k, "ed-signer", "ed25519");
  CHECK(MUST(k.client.GetParameter(key.handle, "algorithm")) == "EdDSA");
  for (const Bytes& message : {ToBytes("m"), Bytes(5000, 0xab)}) {
    Bytes sig = Sign(k, key.handle, SignAlgorithm::kEdDsa, message);
    CHECK(sig.size() == 64);
    CHECK(VerifyEd25519(key.pub.get(), message, sig));
    Bytes other = message;
    other.back() ^= 1;
    CHECK_FALSE(VerifyEd25519(key.pub.get(), other, sig));
  }
}

TEST_CASE("a mechanism that does not fit the key type is 400 with the documented message") {
  Keyd k;
  SignedKey ec = Create(k, "ec", "ec-p256");
  SignedKey rsa = Create(k, "rsa", "rsa-2048");
  SignedKey ed = Create(k, "ed", "ed25519");
  std::string secret = MUST(k.client.CreateKey(keyd::api::CreateKeyRequest{"hmac", EDGESEC_USAGE_SIGN, std::nullopt}));
  Bytes digest = Sha256Of(ToBytes("x"));
  struct Case { std::string handle; SignAlgorithm algorithm; };
  const Case cases[] = {
      {ec.handle, SignAlgorithm::kRsaPkcs1Sha256}, {ec.handle, SignAlgorithm::kRsaPssSha256},
      {ec.handle, SignAlgorithm::kEdDsa},          {ec.handle, SignAlgorithm::kHmacSha256},
      {rsa.handle, SignAlgorithm::kEcdsa},         {rsa.handle, SignAlgorithm::kEdDsa},
      {ed.handle, SignAlgorithm::kEcdsa},          {ed.handle, SignAlgorithm::kRsaPkcs1Sha256},
      {secret, SignAlgorithm::kEcdsa},             {secret, SignAlgorithm::kRsaPssSha256},
  };
  for (const Case& c : cases) {
    INFO("algorithm " << keyd::api::SignAlgorithmName(c.algorithm) << " on " << c.handle.substr(0, 24));
    Error e = MustFail(k.client.Sign(keyd::api::SignRequest{c.handle, c.algorithm, digest}));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK(e.message == "mechanism cannot be used with this key type");
  }
  // RSA private-key operations of /encrypt need an RSA key.
  for (const std::string& handle : {ec.handle, ed.handle, secret}) {
    keyd::api::EncryptRequest req;
    req.key_handle = handle;
    req.algorithm = EncryptAlgorithm::kRsaPkcs1;
    req.data = digest;
    Error e = MustFail(k.client.Encrypt(req));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK(e.message == "mechanism cannot be used with this key type");
  }
}

TEST_CASE("RSA-PKCS1 encrypt is a PKCS#1 type 1 private-key operation over the input") {
  Keyd k;
  SignedKey key = Create(k, "rsa-raw", "rsa-2048");
  // What the peer's clients send: a DigestInfo they built themselves.
  Bytes digest = Sha256Of(ToBytes("tls handshake transcript"));
  const Bytes prefix = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                        0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  Bytes digest_info = prefix;
  digest_info.insert(digest_info.end(), digest.begin(), digest.end());
  keyd::api::EncryptRequest req;
  req.key_handle = key.handle;
  req.algorithm = EncryptAlgorithm::kRsaPkcs1;
  req.data = digest_info;
  Bytes out = MUST(k.client.Encrypt(req));
  REQUIRE(out.size() == 256);
  auto recovered = RsaRecover(key.pub.get(), out, RSA_PKCS1_PADDING);  // checks 00 01 FF.. 00 padding
  REQUIRE(recovered.has_value());
  CHECK(*recovered == digest_info);
  // Exactly an RSASSA-PKCS1-v1_5 SHA-256 signature, then.
  CHECK(VerifyDigest(key.pub.get(), digest, out, RsaScheme::kPkcs1));
  // The raw block: 00 01 FF…FF 00 input.
  auto raw = RsaRecover(key.pub.get(), out, RSA_NO_PADDING);
  REQUIRE(raw.has_value());
  REQUIRE(raw->size() == 256);
  CHECK((*raw)[0] == 0x00);
  CHECK((*raw)[1] == 0x01);
  CHECK(Bytes(raw->end() - static_cast<long>(digest_info.size()), raw->end()) == digest_info);

  SECTION("input longer than the modulus allows is 400") {
    req.data = Bytes(256 - 10, 0x42);
    CHECK(MustFail(k.client.Encrypt(req)).kind == ErrorKind::kInvalidParameter);
  }
}

TEST_CASE("RSA-NO-PADDING encrypt raises a modulus-length input to the private exponent") {
  Keyd k;
  SignedKey key = Create(k, "rsa-nopad", "rsa-3072");
  size_t modulus = 384;
  Bytes block(modulus);
  for (size_t i = 0; i < modulus; ++i) block[i] = static_cast<unsigned char>(i * 7 + 3);
  block[0] = 0x00;  // below the modulus
  keyd::api::EncryptRequest req;
  req.key_handle = key.handle;
  req.algorithm = EncryptAlgorithm::kRsaNoPadding;
  req.data = block;
  Bytes out = MUST(k.client.Encrypt(req));
  REQUIRE(out.size() == modulus);
  auto recovered = RsaRecover(key.pub.get(), out, RSA_NO_PADDING);
  REQUIRE(recovered.has_value());
  CHECK(*recovered == block);

  SECTION("input shorter than the modulus is 400") {
    req.data = Bytes(modulus - 1, 0x01);
    CHECK(MustFail(k.client.Encrypt(req)).kind == ErrorKind::kInvalidParameter);
  }
}

TEST_CASE("ECDSA digests of a bad length are 400") {
  Keyd k;
  SignedKey key = Create(k, "ec", "ec-p256");
  CHECK(MustFail(k.client.Sign(keyd::api::SignRequest{key.handle, SignAlgorithm::kEcdsa, {}})).kind ==
        ErrorKind::kInvalidParameter);
  CHECK(MustFail(k.client.Sign(keyd::api::SignRequest{key.handle, SignAlgorithm::kEcdsa, Bytes(65, 1)})).kind ==
        ErrorKind::kInvalidParameter);
}

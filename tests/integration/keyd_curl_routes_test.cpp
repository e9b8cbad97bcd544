// Every keys route of API.md driven by `curl --unix-socket`, as a client of the peer would: status codes,
// the exact member names (camelCase) of each response, and results checked with OpenSSL.
#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

using Names = std::vector<std::string>;

// A reply that must have `status` and, for 2xx with a body, exactly the members `names`.
Json Expect(const CurlReply& r, long status, const Names& names) {
  INFO("body: " << r.body);
  REQUIRE(r.status == status);
  if (status == 204) {
    CHECK(r.body.empty());
    return r.json;
  }
  REQUIRE_FALSE(r.json.is_discarded());
  CHECK(Keys(r.json) == names);
  return r.json;
}
Json ExpectError(const CurlReply& r, long status) {
  Json j = Expect(r, status, {"message"});
  CHECK(j["message"].is_string());
  CHECK_FALSE(j["message"].get<std::string>().empty());
  return j;
}

std::string Handle(const CurlReply& r) { return Expect(r, 200, {"keyHandle"})["keyHandle"].get<std::string>(); }

}  // namespace

TEST_CASE("curl: GET /version names keyd and its version") {
  Keyd k;
  for (const char* v : {"2020-09-01", "2021-05-01"}) {
    const Json& j = Expect(Curl(k.socket(), "GET", At("/version", v)), 200, {"name", "version"});
    CHECK(j["name"] == "edgesec-keyd");
    CHECK(j["version"].get<std::string>() == EDGESEC_VERSION);
  }
}

TEST_CASE("curl: key pair create, get, parameters, list, sign and delete") {
  Keyd k;
  const std::string s = k.socket();
  std::string handle = Handle(Curl(s, "POST", At("/keypair", "2020-09-01"),
                                   Json{{"keyId", "curl-ec"}, {"preferredAlgorithms", "ec-p256:rsa-2048:*"}}));
  // Create-if-absent: the second call answers a handle for the same key.
  std::string again = Handle(Curl(s, "POST", At("/keypair"), Json{{"keyId", "curl-ec"}, {"preferredAlgorithms", "rsa-4096"}}));
  ExpectError(Curl(s, "POST", At("/keypair"), Json{{"keyId", "bad-alg"}, {"preferredAlgorithms", "dsa-1024"}}), 400);
  std::string got = Handle(Curl(s, "GET", At("/keypair/curl-ec")));
  ExpectError(Curl(s, "GET", At("/keypair/absent")), 404);

  // Parameters: all seven, from each handle alike.
  std::map<std::string, std::string> params;
  for (const char* name : {"algorithm", "ec-curve-oid", "ec-point", "engine", "security-level"}) {
    const Json& j = Expect(Curl(s, "POST", At(std::string("/parameters/") + name), Json{{"keyHandle", handle}}), 200, {"value"});
    params[name] = j["value"].get<std::string>();
    CHECK(Curl(s, "POST", At(std::string("/parameters/") + name), Json{{"keyHandle", again}}).json == j);
    CHECK(Curl(s, "POST", At(std::string("/parameters/") + name), Json{{"keyHandle", got}}).json == j);
  }
  CHECK(params["algorithm"] == "ECDSA");
  CHECK(Unb64(params["ec-curve-oid"]) == CurveOidDer(NID_X9_62_prime256v1));
  CHECK(Unb64(params["ec-point"]).size() == 65);
  CHECK(params["engine"] == "file");
  CHECK(params["security-level"] == "SL0");
  ExpectError(Curl(s, "POST", At("/parameters/rsa-modulus"), Json{{"keyHandle", handle}}), 400);
  ExpectError(Curl(s, "POST", At("/parameters/rsa-exponent"), Json{{"keyHandle", handle}}), 400);

  // The public key the parameters describe verifies what /sign answers.
  EvpPkeyPtr pub = MUST(k.client.PublicKey(handle));
  CHECK(B64(MUST(PublicKeyToSpkiDer(pub.get()))) == B64(MUST(PublicKeyToSpkiDer(MUST(k.client.PublicKey(again)).get()))));
  Bytes digest = Sha256Of(ToBytes("curl-signed"));
  const Json& sig = Expect(Curl(s, "POST", At("/sign"), Json{{"keyHandle", handle}, {"algorithm", "ECDSA"},
                                                              {"parameters", {{"digest", B64(digest)}}}}),
                           200, {"signature"});
  CHECK(VerifyDigest(pub.get(), digest, Unb64(sig["signature"].get<std::string>())));

  const Json& list = Expect(Curl(s, "GET", At("/keypairs")), 200, {"keys"});
  REQUIRE(list["keys"].size() == 1);
  CHECK(Keys(list["keys"][0]) == Names{"algorithm", "engine", "keyId", "securityLevel"});
  CHECK(list["keys"][0] == Json{{"keyId", "curl-ec"}, {"engine", "file"}, {"algorithm", "ec-p256"}, {"securityLevel", "SL0"}});

  Expect(Curl(s, "DELETE", At("/keypair"), Json{{"keyHandle", handle}}), 204, {});
  ExpectError(Curl(s, "GET", At("/keypair/curl-ec")), 404);
  ExpectError(Curl(s, "POST", At("/sign"), Json{{"keyHandle", got}, {"algorithm", "ECDSA"},
                                                {"parameters", {{"digest", B64(digest)}}}}), 404);
  CHECK(Expect(Curl(s, "GET", At("/keypairs")), 200, {"keys"})["keys"] == Json::array());
}

TEST_CASE("curl: RSA parameters and RSA signatures") {
  Keyd k;
  const std::string s = k.socket();
  std::string handle = Handle(Curl(s, "POST", At("/keypair"), Json{{"keyId", "curl-rsa"}, {"preferredAlgorithms", "rsa-2048"}}));
  auto param = [&](const char* name) {
    return Expect(Curl(s, "POST", At(std::string("/parameters/") + name), Json{{"keyHandle", handle}}), 200, {"value"})["value"]
        .get<std::string>();
  };
  CHECK(param("algorithm") == "RSA");
  CHECK(Unb64(param("rsa-modulus")).size() == 256);
  CHECK(Unb64(param("rsa-exponent")) == Bytes{0x01, 0x00, 0x01});
  ExpectError(Curl(s, "POST", At("/parameters/ec-point"), Json{{"keyHandle", handle}}), 400);
  EvpPkeyPtr pub = MUST(k.client.PublicKey(handle));
  Bytes digest = Sha256Of(ToBytes("rsa over curl"));
  for (const char* algorithm : {"RSA-PKCS1-SHA256", "RSA-PSS-SHA256"}) {
    INFO(algorithm);
    const Json& j = Expect(Curl(s, "POST", At("/sign"), Json{{"keyHandle", handle}, {"algorithm", algorithm},
                                                              {"parameters", {{"digest", B64(digest)}}}}),
                           200, {"signature"});
    RsaScheme scheme = std::string(algorithm) == "RSA-PSS-SHA256" ? RsaScheme::kPss : RsaScheme::kPkcs1;
    CHECK(VerifyDigest(pub.get(), digest, Unb64(j["signature"].get<std::string>()), scheme));
  }
  const Json& enc = Expect(Curl(s, "POST", At("/encrypt"), Json{{"keyHandle", handle}, {"algorithm", "RSA-PKCS1"},
                                                                {"plaintext", B64(digest)}}),
                           200, {"ciphertext"});
  CHECK(RsaRecover(pub.get(), Unb64(enc["ciphertext"].get<std::string>()), RSA_PKCS1_PADDING) == std::optional<Bytes>(digest));
  const Json& mismatch = ExpectError(Curl(s, "POST", At("/sign"), Json{{"keyHandle", handle}, {"algorithm", "ECDSA"},
                                                                       {"parameters", {{"digest", B64(digest)}}}}),
                                     400);
  CHECK(mismatch["message"] == "mechanism cannot be used with this key type");
}

TEST_CASE("curl: move needs api-version 2021-05-01 and a different source") {
  Keyd k;
  const std::string s = k.socket();
  Handle(Curl(s, "POST", At("/keypair"), Json{{"keyId", "next"}, {"preferredAlgorithms", "ed25519"}}));
  std::string pem = PublicPem(MUST(k.client.PublicKey(MUST(k.client.GetKeyPair("next")))).get());
  const Json& old = ExpectError(Curl(s, "POST", At("/keypair/current", "2020-09-01"), Json{{"from", "next"}}), 400);
  CHECK_THAT(old["message"].get<std::string>(), Catch::Contains("2021-05-01"));
  ExpectError(Curl(s, "POST", At("/keypair/next"), Json{{"from", "next"}}), 400);
  ExpectError(Curl(s, "POST", At("/keypair/current"), Json{{"from", "missing"}}), 404);
  Expect(Curl(s, "POST", At("/keypair/current"), Json{{"from", "next"}}), 204, {});
  ExpectError(Curl(s, "GET", At("/keypair/next")), 404);
  std::string moved = Handle(Curl(s, "GET", At("/keypair/current")));
  CHECK(PublicPem(MUST(k.client.PublicKey(moved)).get()) == pem);
}

TEST_CASE("curl: PUT /keypair imports a PKCS#8 key that then signs for the original public key") {
  Keyd k;
  const std::string s = k.socket();
  EvpPkeyPtr original = GenerateKey("ec-p384");
  std::string handle = Handle(Curl(s, "PUT", At("/keypair/imported", "2020-09-01"),
                                   Json{{"pkcs8", B64(MUST(PrivateKeyToPkcs8Der(original.get())))}}));
  Bytes digest = Sha384Of(ToBytes("imported over curl"));
  const Json& j = Expect(Curl(s, "POST", At("/sign"), Json{{"keyHandle", handle}, {"algorithm", "ECDSA"},
                                                            {"parameters", {{"digest", B64(digest)}}}}),
                         200, {"signature"});
  CHECK(VerifyDigest(original.get(), digest, Unb64(j["signature"].get<std::string>())));
  ExpectError(Curl(s, "PUT", At("/keypair/garbage"), Json{{"pkcs8", B64(ToBytes("not a key"))}}), 400);
}

TEST_CASE("curl: secret keys, AEAD, HMAC, derived keys") {
  Keyd k;
  const std::string s = k.socket();
  Bytes key(32, 0x11);
  std::string handle = Handle(Curl(s, "POST", At("/key", "2020-09-01"),
                                   Json{{"keyId", "curl-secret"}, {"usage", "derive,encrypt,sign"}, {"keyBytes", B64(key)}}));
  std::string generated = Handle(Curl(s, "POST", At("/key"), Json{{"keyId", "curl-generated"}, {"usage", "encrypt"}}));
  std::string got = Handle(Curl(s, "GET", At("/key/curl-secret")));
  ExpectError(Curl(s, "GET", At("/key/absent")), 404);

  Bytes message = ToBytes("hmac me");
  const Json& mac = Expect(Curl(s, "POST", At("/sign"), Json{{"keyHandle", got}, {"algorithm", "HMAC-SHA256"},
                                                              {"parameters", {{"message", B64(message)}}}}),
                           200, {"signature"});
  CHECK(Unb64(mac["signature"].get<std::string>()) == HmacSha256(key, message));

  Bytes iv = ToBytes("twelve bytes"), aad = ToBytes("aad");
  for (const std::string& h : {handle, generated}) {
    const Json& enc = Expect(Curl(s, "POST", At("/encrypt"), Json{{"keyHandle", h}, {"algorithm", "AEAD"},
                                                                  {"parameters", {{"iv", B64(iv)}, {"aad", B64(aad)}}},
                                                                  {"plaintext", B64(message)}}),
                             200, {"ciphertext"});
    std::string ciphertext = enc["ciphertext"].get<std::string>();
    if (h == handle) CHECK(Unb64(ciphertext) == AesGcmEncrypt(key, iv, aad, message));
    const Json& dec = Expect(Curl(s, "POST", At("/decrypt"), Json{{"keyHandle", h}, {"algorithm", "AEAD"},
                                                                  {"parameters", {{"iv", B64(iv)}, {"aad", B64(aad)}}},
                                                                  {"ciphertext", ciphertext}}),
                             200, {"plaintext"});
    CHECK(Unb64(dec["plaintext"].get<std::string>()) == message);
    ExpectError(Curl(s, "POST", At("/decrypt"), Json{{"keyHandle", h}, {"algorithm", "AEAD"},
                                                      {"parameters", {{"iv", B64(iv)}, {"aad", B64(ToBytes("AAD"))}}},
                                                      {"ciphertext", ciphertext}}),
                400);
  }

  Bytes data = ToBytes("module-1");
  std::string derived = Handle(Curl(s, "POST", At("/derivedkey"), Json{{"baseKeyHandle", handle}, {"derivationData", B64(data)}}));
  const Json& exported = Expect(Curl(s, "POST", At("/derivedkey/export"), Json{{"keyHandle", derived}}), 200, {"key"});
  CHECK(Unb64(exported["key"].get<std::string>()) == HmacSha256(key, data));
  ExpectError(Curl(s, "POST", At("/derivedkey"), Json{{"baseKeyHandle", derived}, {"derivationData", B64(data)}}), 400);

  Expect(Curl(s, "DELETE", At("/key"), Json{{"keyHandle", handle}}), 204, {});
  ExpectError(Curl(s, "GET", At("/key/curl-secret")), 404);
  ExpectError(Curl(s, "POST", At("/derivedkey/export"), Json{{"keyHandle", derived}}), 404);
}

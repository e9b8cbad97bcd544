// Requests keyd must refuse, and how (API.md, "Common rules"): the status and a message that names what
// is wrong. Sent with curl so that the bytes on the wire are exactly the test's.
#include "tests/integration/harness.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

std::string Message(const CurlReply& r) {
  INFO("body: " << r.body);
  REQUIRE_FALSE(r.json.is_discarded());
  REQUIRE(r.json.is_object());
  REQUIRE(r.json.contains("message"));
  return r.json["message"].get<std::string>();
}

// Changes one character of `s` at `pos` to another character of the base64url alphabet.
std::string ChangeOne(std::string s, size_t pos) {
  s[pos] = s[pos] == 'A' ? 'B' : 'A';
  return s;
}

}  // namespace

TEST_CASE("a missing api-version is 400 with the peer's exact message on every route") {
  Keyd k;
  const std::pair<const char*, const char*> routes[] = {
      {"POST", "/keypair"}, {"GET", "/keypair/k"}, {"POST", "/keypair/k"}, {"PUT", "/keypair/k"},
      {"DELETE", "/keypair"}, {"GET", "/keypairs"}, {"POST", "/parameters/algorithm"}, {"POST", "/sign"},
      {"POST", "/encrypt"}, {"POST", "/decrypt"}, {"POST", "/key"}, {"GET", "/key/k"}, {"DELETE", "/key"},
      {"POST", "/derivedkey"}, {"POST", "/derivedkey/export"}, {"GET", "/version"}};
  for (const auto& [method, route] : routes) {
    INFO(method << " " << route);
    bool has_body = std::string(method) != "GET";
    CurlReply r = CurlRaw(k.socket(), method, route, has_body ? std::optional<std::string>("{}") : std::nullopt);
    CHECK(r.status == 400);
    CHECK(r.body == R"({"message":"api-version not specified"})");
  }
}

TEST_CASE("an unknown api-version is 400 naming it; a newer known version is accepted") {
  Keyd k;
  CurlReply r = Curl(k.socket(), "GET", "/keypairs?api-version=2019-01-01");
  CHECK(r.status == 400);
  CHECK(Message(r) == "invalid api-version \"2019-01-01\"");
  CHECK(Curl(k.socket(), "GET", "/keypairs?api-version=2021-05-01&unknown=1").status == 200);
}

TEST_CASE("a missing required field is 400 naming it") {
  Keyd k;
  std::string pair = MUST(k.client.CreateKeyPairIfNotExists("p"));
  struct Case { const char* route; Json body; const char* field; };
  const Case cases[] = {
      {"/keypair", Json{{"preferredAlgorithms", "*"}}, "keyId"},
      {"/keypair/q", Json::object(), "from"},
      {"/sign", Json{{"algorithm", "ECDSA"}, {"parameters", {{"digest", "AAAA"}}}}, "keyHandle"},
      {"/sign", Json{{"keyHandle", pair}, {"parameters", {{"digest", "AAAA"}}}}, "algorithm"},
      {"/sign", Json{{"keyHandle", pair}, {"algorithm", "ECDSA"}}, "parameters"},
      {"/sign", Json{{"keyHandle", pair}, {"algorithm", "ECDSA"}, {"parameters", Json::object()}}, "parameters.digest"},
      {"/sign", Json{{"keyHandle", pair}, {"algorithm", "HMAC-SHA256"}, {"parameters", {{"digest", "AAAA"}}}}, "parameters.message"},
      {"/encrypt", Json{{"keyHandle", pair}, {"algorithm", "RSA-PKCS1"}}, "plaintext"},
      {"/encrypt", Json{{"keyHandle", pair}, {"algorithm", "AEAD"}, {"parameters", {{"aad", ""}}}, {"plaintext", ""}}, "parameters.iv"},
      {"/decrypt", Json{{"keyHandle", pair}, {"algorithm", "AEAD"}, {"parameters", {{"iv", "AAAA"}, {"aad", ""}}}}, "ciphertext"},
      {"/key", Json{{"keyId", "s"}}, "usage"},
      {"/derivedkey", Json{{"baseKeyHandle", pair}}, "derivationData"},
      {"/derivedkey/export", Json::object(), "keyHandle"},
      {"/parameters/algorithm", Json::object(), "keyHandle"},
  };
  for (const Case& c : cases) {
    INFO(c.route << " " << c.body.dump());
    CurlReply r = Curl(k.socket(), "POST", At(c.route), c.body);
    CHECK(r.status == 400);
    CHECK(Message(r) == std::string("missing parameter '") + c.field + "'");
  }
  for (const char* route : {"/keypair", "/key"}) {
    CurlReply r = Curl(k.socket(), "DELETE", At(route), Json::object());
    CHECK(r.status == 400);
    CHECK(Message(r) == "missing parameter 'keyHandle'");
  }
  CurlReply put = Curl(k.socket(), "PUT", At("/keypair/x"), Json::object());
  CHECK(put.status == 400);
  CHECK(Message(put) == "missing parameter 'pkcs8'");
}

TEST_CASE("a field of the wrong type is 400 naming it") {
  Keyd k;
  struct Case { const char* route; Json body; const char* message; };
  const Case cases[] = {
      {"/keypair", Json{{"keyId", 42}}, "parameter 'keyId' must be a string"},
      {"/keypair", Json{{"keyId", "k"}, {"preferredAlgorithms", Json::array({"ec-p256"})}}, "parameter 'preferredAlgorithms' must be a string"},
      {"/sign", Json{{"keyHandle", true}}, "parameter 'keyHandle' must be a string"},
      {"/sign", Json{{"keyHandle", "h"}, {"algorithm", "ECDSA"}, {"parameters", "digest"}}, "parameter 'parameters' must be an object"},
      {"/sign", Json{{"keyHandle", "h"}, {"algorithm", "ECDSA"}, {"parameters", {{"digest", 12}}}}, "parameter 'parameters.digest' must be a string"},
      {"/key", Json{{"keyId", "s"}, {"usage", "sign"}, {"keyBytes", Json::object()}}, "parameter 'keyBytes' must be a string"},
  };
  for (const Case& c : cases) {
    INFO(c.route << " " << c.body.dump());
    CurlReply r = Curl(k.socket(), "POST", At(c.route), c.body);
    CHECK(r.status == 400);
    CHECK(Message(r) == c.message);
  }
  CurlReply array = CurlRaw(k.socket(), "POST", At("/keypair"), std::string("[\"keyId\"]"));
  CHECK(array.status == 400);
}

TEST_CASE("invalid base64 is 400 naming the field") {
  Keyd k;
  std::string pair = MUST(k.client.CreateKeyPairIfNotExists("p"));
  struct Case { const char* method; const char* route; Json body; const char* field; };
  const Case cases[] = {
      {"POST", "/sign", Json{{"keyHandle", pair}, {"algorithm", "ECDSA"}, {"parameters", {{"digest", "not base64!"}}}}, "parameters.digest"},
      {"POST", "/sign", Json{{"keyHandle", pair}, {"algorithm", "ECDSA"}, {"parameters", {{"digest", "AAA"}}}}, "parameters.digest"},
      {"POST", "/encrypt", Json{{"keyHandle", pair}, {"algorithm", "RSA-PKCS1"}, {"plaintext", "YWJj\nZA=="}}, "plaintext"},
      {"POST", "/key", Json{{"keyId", "s"}, {"usage", "sign"}, {"keyBytes", "-_-_"}}, "keyBytes"},
      {"POST", "/derivedkey", Json{{"baseKeyHandle", pair}, {"derivationData", "%%%%"}}, "derivationData"},
      {"PUT", "/keypair/x", Json{{"pkcs8", "MIIB*"}}, "pkcs8"},
  };
  for (const Case& c : cases) {
    INFO(c.route << " " << c.body.dump());
    CurlReply r = Curl(k.socket(), c.method, At(c.route), c.body);
    CHECK(r.status == 400);
    CHECK(Message(r) == std::string("parameter '") + c.field + "' is not valid base64");
  }
}

TEST_CASE("unparsable JSON is 422 and a non-JSON content type is 415") {
  Keyd k;
  for (const char* body : {"{\"keyId\":", "keyId=k", "{\"keyId\":\"k\"}}", "\xff\xfe"}) {
    CurlReply r = CurlRaw(k.socket(), "POST", At("/keypair"), std::string(body));
    INFO("body " << body);
    CHECK(r.status == 422);
    CHECK_FALSE(Message(r).empty());
  }
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/xml"}) {
    INFO("content type " << type);
    CurlReply r = CurlRaw(k.socket(), "POST", At("/keypair"), std::string(R"({"keyId":"k"})"), type);
    CHECK(r.status == 415);
    CHECK_FALSE(Message(r).empty());
  }
  CHECK(MustFail(k.client.GetKeyPair("k")).kind == ErrorKind::kNotFound);
  // Parameters on the JSON media type are fine, and so is no content type at all.
  CHECK(CurlRaw(k.socket(), "POST", At("/keypair"), std::string(R"({"keyId":"k1"})"), "application/json; charset=utf-8").status == 200);
  CHECK(CurlRaw(k.socket(), "POST", At("/keypair"), std::string(R"({"keyId":"k2"})"), "").status == 200);
}

TEST_CASE("an invalid key id is 400, in the path and in the body") {
  Keyd k;
  const std::string long_id(129, 'x');
  for (const std::string& id : {std::string("a/b"), long_id, std::string("white space"), std::string("é")}) {
    INFO("id " << id);
    for (const char* route : {"/keypair", "/key"}) {
      CurlReply r = Curl(k.socket(), "POST", At(route), Json{{"keyId", id}, {"usage", "sign"}});
      CHECK(r.status == 400);
      CHECK_THAT(Message(r), Catch::Contains("invalid key id"));
    }
    CurlReply move = Curl(k.socket(), "POST", At("/keypair/target"), Json{{"from", id}});
    CHECK(move.status == 400);
    // Through the client, which percent-encodes the id into the path.
    CHECK(MustFail(k.client.GetKeyPair(id)).kind == ErrorKind::kInvalidParameter);
    CHECK(MustFail(k.client.GetKey(id)).kind == ErrorKind::kInvalidParameter);
    CHECK(MustFail(k.client.ImportKeyPair(id, MUST(PrivateKeyToPkcs8Der(GenerateKey("ec-p256").get())))).kind ==
          ErrorKind::kInvalidParameter);
  }
  CurlReply path = Curl(k.socket(), "GET", At("/keypair/" + long_id));
  CHECK(path.status == 400);
  CHECK_THAT(Message(path), Catch::Contains("invalid key id"));
  // An encoded '/' stays inside its path segment: the id 'a/b' is refused, not an unknown route.
  for (const char* route : {"/keypair/a%2Fb", "/key/a%2fb", "/keypair/a%2Fb%2F..%2F..%2Fx"}) {
    INFO("route " << route);
    CurlReply r = Curl(k.socket(), "GET", At(route));
    CHECK(r.status == 400);
    CHECK_THAT(Message(r), Catch::Contains("invalid key id 'a/"));
  }
  CurlReply move = Curl(k.socket(), "POST", At("/keypair/a%2Fb"), Json{{"from", "x"}});
  CHECK(move.status == 400);
  CHECK_THAT(Message(move), Catch::Contains("invalid key id 'a/b'"));
  // 128 characters of every allowed kind are fine.
  std::string longest = "A-z_0.9:@$" + std::string(118, 'k');
  CHECK(MUST(k.client.CreateKeyPairIfNotExists(longest)) != "");
  CHECK(MUST(k.client.GetKeyPair(longest)) != "");
  CHECK(MUST(k.client.ListKeyPairs()).size() == 1);
}

TEST_CASE("a forged or altered key handle is 400 on every handle route") {
  Keyd k;
  std::string pair = MUST(k.client.CreateKeyPairIfNotExists("p"));
  std::string secret = MUST(k.client.CreateKey(keyd::api::CreateKeyRequest{"s", EDGESEC_USAGE_SIGN | EDGESEC_USAGE_DERIVE, std::nullopt}));
  size_t dot = pair.find('.');
  REQUIRE(dot != std::string::npos);
  const std::string forged[] = {
      ChangeOne(pair, dot / 2),               // the claims
      ChangeOne(pair, dot + 10),              // the MAC
      pair.substr(0, dot) + "." + secret.substr(secret.find('.') + 1),  // another handle's MAC
      "not-a-handle", "", pair + "A",
  };
  const Bytes digest = Sha256Of(ToBytes("x"));
  for (const std::string& h : forged) {
    INFO("handle " << h);
    const std::pair<const char*, Json> calls[] = {
        {"/sign", Json{{"keyHandle", h}, {"algorithm", "ECDSA"}, {"parameters", {{"digest", B64(digest)}}}}},
        {"/encrypt", Json{{"keyHandle", h}, {"algorithm", "RSA-PKCS1"}, {"plaintext", B64(digest)}}},
        {"/parameters/algorithm", Json{{"keyHandle", h}}},
        {"/derivedkey", Json{{"baseKeyHandle", h}, {"derivationData", "AAAA"}}},
        {"/derivedkey/export", Json{{"keyHandle", h}}},
    };
    for (const auto& [route, body] : calls) {
      INFO("route " << route);
      CurlReply r = Curl(k.socket(), "POST", At(route), body);
      CHECK(r.status == 400);
      CHECK(Message(r) == "invalid key handle");
    }
    CHECK(Curl(k.socket(), "DELETE", At("/keypair"), Json{{"keyHandle", h}}).status == 400);
    CHECK(Curl(k.socket(), "DELETE", At("/key"), Json{{"keyHandle", h}}).status == 400);
  }
  // A handle of another keyd (another per-install secret) is forged too.
  Keyd other;
  std::string foreign = MUST(other.client.CreateKeyPairIfNotExists("p"));
  CHECK(MustFail(k.client.GetParameter(foreign, "algorithm")).message == "invalid key handle");
  // Nothing was deleted on the way.
  CHECK(MUST(k.client.GetParameter(pair, "algorithm")) == "ECDSA");
}

TEST_CASE("unknown fields and query parameters are ignored; unknown routes are 404") {
  Keyd k;
  CurlReply r = Curl(k.socket(), "POST", "/keypair?api-version=2020-09-01&client=iotedge",
                     Json{{"keyId", "k"}, {"preferredAlgorithms", "ec-p256"}, {"usage", "ignored"}, {"extra", {1, 2}}});
  CHECK(r.status == 200);
  CHECK(Curl(k.socket(), "GET", At("/no/such/route")).status == 404);
  CHECK(Curl(k.socket(), "PATCH", At("/keypairs")).status == 405);
}

// daemon/server/routes: the workload API's encrypt, decrypt, sign and manifest-trust-bundle routes
// through the real router and IdentityService, with no keyd behind them — the wire shapes of the
// peer's API files ({"message"} errors, {"certificate"}), the field named by a bad request, the
// caller check before any keyd call, and keyd unreachable as 503 with Retry-After.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/fs.hpp"
#include "daemon/server/routes/routes.hpp"
#include "tests/support/temp_root.hpp"

using namespace edgesec;
using namespace edgesec::identityd;

namespace {

struct Workload {
  testing::TempDir dir;
  Layout layout = Layout::UnderRoot(dir.path());
  std::unique_ptr<IdentityService> service;
  std::unique_ptr<http::Router> router;

  explicit Workload(IdentitydConfig config = {}) {
    Principal module;
    module.uid = 4242;
    module.modules = {"$edgeHub"};
    Principal device;
    device.uid = 4343;
    device.idtype = "device";
    config.principals = {module, device};
    auto s = IdentityService::Create(layout, config, std::make_shared<SystemClock>());
    INFO((s ? std::string() : s.error().message));
    REQUIRE(s);
    service = std::move(*s);
    router = std::make_unique<http::Router>(routes::MakeWorkloadRouter(*service));
  }

  http::Response Call(const std::string& method, const std::string& path, const std::string& body,
                      uid_t uid = 0, const std::string& version = "2020-07-07") {
    http::Request r;
    r.method = method;
    r.path = path;
    r.query["api-version"] = version;
    r.body = body;
    r.content_type = body.empty() ? "" : "application/json";
    r.peer_uid = uid;
    return router->Dispatch(r);
  }
};

Json Body(const http::Response& r) {
  auto j = ParseJsonObject(r.body);
  REQUIRE(j);
  return *j;
}

const std::string kEncrypt = "/modules/$edgeHub/genid/637/encrypt";
const std::string kDecrypt = "/modules/$edgeHub/genid/637/decrypt";
const std::string kGood = R"({"plaintext":"aGVsbG8=","initializationVector":"AAECAwQFBgcICQoL"})";

}  // namespace

TEST_CASE("sign is answered 400 {\"message\"} saying IoT Hub module keys are out of scope") {
  Workload w;
  auto r = w.Call("POST", "/modules/$edgeHub/genid/637/sign",
                  R"({"keyId":"primary","algo":"HMACSHA256","data":"eA=="})");
  CHECK(r.status == 400);
  Json body = Body(r);
  CHECK(body.size() == 1);
  CHECK(body["message"].get<std::string>().find("IoT Hub module keys are out of scope") !=
        std::string::npos);
}

TEST_CASE("manifest-trust-bundle: \"\" with none configured, 2020-07-07 and later only") {
  Workload w;
  auto r = w.Call("GET", "/manifest-trust-bundle", "");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"certificate":""})");
  r = w.Call("GET", "/manifest-trust-bundle", "", 4242, "2022-08-03");
  CHECK(r.status == 200);
  r = w.Call("GET", "/manifest-trust-bundle", "", 0, "2019-11-05");
  CHECK(r.status == 400);
  CHECK(Body(r)["message"].get<std::string>().find("2020-07-07") != std::string::npos);
}

TEST_CASE("a manifest_trust_bundle_cert that holds no certificate stops identityd naming it") {
  testing::TempDir files;
  std::string path = files.path() + "/manifest.pem";
  REQUIRE(fs::AtomicWriteFile(path, "not a certificate\n", 0644));
  testing::TempDir dir;
  IdentitydConfig config;
  config.manifest_trust_bundle_cert = path;
  auto s = IdentityService::Create(Layout::UnderRoot(dir.path()), config,
                                   std::make_shared<SystemClock>());
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("manifest_trust_bundle_cert '" + path + "'") == 0);
  config.manifest_trust_bundle_cert = files.path() + "/missing.pem";
  s = IdentityService::Create(Layout::UnderRoot(dir.path()), config,
                              std::make_shared<SystemClock>());
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("cannot be read") != std::string::npos);
}

TEST_CASE("encrypt and decrypt name the missing or undecodable field") {
  Workload w;
  struct Case {
    std::string path, body, field;
  } cases[] = {
      {kEncrypt, R"({"initializationVector":"AAEC"})", "'plaintext'"},
      {kEncrypt, R"({"plaintext":"aGVsbG8="})", "'initializationVector'"},
      {kEncrypt, R"({"plaintext":"~~","initializationVector":"AAEC"})", "'plaintext'"},
      {kEncrypt, R"({"plaintext":5,"initializationVector":"AAEC"})", "'plaintext'"},
      {kEncrypt, R"({"plaintext":"aGVsbG8=","initializationVector":""})", "'initializationVector'"},
      {kDecrypt, R"({"plaintext":"aGVsbG8=","initializationVector":"AAEC"})", "'ciphertext'"},
      {kDecrypt, R"({"ciphertext":"aGVsbG8=","initializationVector":"%%"})",
       "'initializationVector'"},
      {kDecrypt, "", "'ciphertext'"},
  };
  for (const auto& c : cases) {
    auto r = w.Call("POST", c.path, c.body);
    INFO(c.path << " " << c.body << " → " << r.status << " " << r.body);
    CHECK(r.status == 400);
    CHECK(Body(r)["message"].get<std::string>().find(c.field) != std::string::npos);
  }
}

TEST_CASE("only root, identityd's uid and the module's principal may encrypt; keyd down is 503") {
  Workload w;
  // Another module, a device principal, a stranger: 403 before keyd is asked.
  for (auto [path, uid] : {std::pair{std::string("/modules/other/genid/1/encrypt"), uid_t{4242}},
                           std::pair{kEncrypt, uid_t{4343}}, std::pair{kEncrypt, uid_t{4444}}}) {
    auto r = w.Call("POST", path, kGood, uid);
    INFO(path << " as " << uid << " → " << r.body);
    CHECK(r.status == 403);
    CHECK(Body(r)["message"].get<std::string>().find(
              "user " + std::to_string(uid) + " is not authorized to encrypt or decrypt") == 0);
  }
  // Allowed callers reach keyd, which is not running here: 503 with Retry-After.
  for (uid_t uid : {uid_t{0}, ::getuid(), uid_t{4242}}) {
    auto r =
        w.Call("POST", kDecrypt,
               R"({"ciphertext":"aGVsbG8gd29ybGQgaGVsbG8=","initializationVector":"AAEC"})", uid);
    INFO("as " << uid << " → " << r.status << " " << r.body);
    CHECK(r.status == 503);
    bool retry_after = false;
    for (const auto& [k, v] : r.headers) retry_after = retry_after || k == "Retry-After";
    CHECK(retry_after);
    CHECK(Body(r)["message"].get<std::string>().find("master encryption key") != std::string::npos);
  }
}

TEST_CASE("a module id with no DNS-name form gets 400 naming it on the server cert route") {
  Workload w;
  for (const std::string& id : {"-", "--", "$$..", "_-_"}) {
    INFO(id);
    auto r = w.Call("POST", "/modules/" + id + "/genid/1/certificate/server",
                    R"({"commonName":"edgegateway","expiration":"2099-01-01T00:00:00Z"})");
    CHECK(r.status == 400);
    std::string message = Body(r)["message"].get<std::string>();
    CHECK(message.find("'" + id + "'") != std::string::npos);
    CHECK(message.find("DNS") != std::string::npos);
  }
}

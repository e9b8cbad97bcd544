// common/http/router: api-version rules, route matching, content types and the one mapping from
// error kinds to HTTP statuses (API.md, "Common rules").
#include "common/http/router.hpp"

#include <catch2/catch.hpp>
#include <string>

using edgesec::ErrorKind;
using edgesec::Json;
using edgesec::MakeError;
using edgesec::http::Call;
using edgesec::http::Reply;
using edgesec::http::Request;
using edgesec::http::Response;
using edgesec::http::Router;

namespace {

constexpr const char* kOld = "2020-09-01";
constexpr const char* kNew = "2021-05-01";

ErrorKind KindNamed(const std::string& name) {
  if (name == "invalid") return ErrorKind::kInvalidParameter;
  if (name == "unauthorized") return ErrorKind::kUnauthorized;
  if (name == "notfound") return ErrorKind::kNotFound;
  if (name == "media") return ErrorKind::kUnsupportedMediaType;
  if (name == "unprocessable") return ErrorKind::kUnprocessable;
  if (name == "unavailable") return ErrorKind::kUnavailable;
  if (name == "config") return ErrorKind::kConfig;
  if (name == "io") return ErrorKind::kIo;
  if (name == "crypto") return ErrorKind::kCrypto;
  return ErrorKind::kInternal;
}

Router TestRouter(int unauthorized_status = 401) {
  Router router({kOld, kNew}, unauthorized_status);
  router.Add("GET", "/items/{id}", kOld, [](const Call& call) -> edgesec::Expected<Reply> {
    return Reply::Ok(Json{{"id", call.Param("id")}, {"version", call.api_version}});
  });
  router.Add("POST", "/items", kOld, [](const Call& call) -> edgesec::Expected<Reply> {
    EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
    return Reply::Created(Json{{"echo", body}});
  });
  router.Add("DELETE", "/items/{id}", kOld, [](const Call&) -> edgesec::Expected<Reply> {
    Reply r = Reply::NoContent();
    r.headers.emplace_back("X-Deleted", "yes");
    return r;
  });
  router.Add("POST", "/new-route", kNew,
             [](const Call&) -> edgesec::Expected<Reply> { return Reply::Ok(Json::object()); });
  router.Add("GET", "/fail/{kind}", kOld, [](const Call& call) -> edgesec::Expected<Reply> {
    return MakeError(KindNamed(call.Param("kind")), "failed as asked", "secret log-only detail");
  });
  return router;
}

Request Get(const std::string& path, const char* version = kOld) {
  Request r;
  r.method = "GET";
  r.path = path;
  if (version != nullptr) r.query["api-version"] = version;
  return r;
}

Request Post(const std::string& path, std::string body,
             std::string content_type = "application/json", const char* version = kOld) {
  Request r = Get(path, version);
  r.method = "POST";
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

std::string MessageOf(const Response& r) {
  Json j = Json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("message"));
  return j["message"].get<std::string>();
}

}  // namespace

TEST_CASE("a request without api-version is rejected with 400 'api-version not specified'") {
  Response r = TestRouter().Dispatch(Get("/items/a", nullptr));
  CHECK(r.status == 400);
  CHECK(r.body == R"({"message":"api-version not specified"})");
}

TEST_CASE("an unknown api-version is rejected with 400 naming it") {
  Response r = TestRouter().Dispatch(Get("/items/a", "2099-01-01"));
  CHECK(r.status == 400);
  CHECK(MessageOf(r) == "invalid api-version \"2099-01-01\"");
  Response empty = TestRouter().Dispatch(Get("/items/a", ""));
  CHECK(empty.status == 400);
  CHECK(MessageOf(empty) == "invalid api-version \"\"");
}

TEST_CASE("a known api-version older than the route's minimum is rejected with 400") {
  Response r = TestRouter().Dispatch(Post("/new-route", "{}", "application/json", kOld));
  CHECK(r.status == 400);
  CHECK_THAT(MessageOf(r), Catch::Contains(kOld) && Catch::Contains(kNew));
  CHECK(TestRouter().Dispatch(Post("/new-route", "{}", "application/json", kNew)).status == 200);
}

TEST_CASE("a newer known api-version is accepted by an older route") {
  Response r = TestRouter().Dispatch(Get("/items/abc", kNew));
  REQUIRE(r.status == 200);
  Json j = Json::parse(r.body);
  CHECK(j["id"] == "abc");
  CHECK(j["version"] == kNew);
}

TEST_CASE("path parameters are captured, including : @ and $") {
  Response r = TestRouter().Dispatch(Get("/items/$edgeHub:v1@x"));
  REQUIRE(r.status == 200);
  CHECK(Json::parse(r.body)["id"] == "$edgeHub:v1@x");
}

TEST_CASE("an escaped slash or percent in a path segment stays inside one parameter") {
  // Request::path keeps %2F and %25 escaped; the router decodes them per segment, after splitting.
  Response r = TestRouter().Dispatch(Get("/items/a%2Fb%25c"));
  REQUIRE(r.status == 200);
  CHECK(Json::parse(r.body)["id"] == "a/b%c");
  CHECK(TestRouter().Dispatch(Get("/items%2Fa")).status == 404);
}

TEST_CASE("an unknown path is answered with 404") {
  CHECK(TestRouter().Dispatch(Get("/nothing")).status == 404);
  CHECK(TestRouter().Dispatch(Get("/items/a/extra")).status == 404);
  CHECK(TestRouter().Dispatch(Get("/")).status == 404);
  CHECK(TestRouter().Dispatch(Get("/nothing", nullptr)).status == 404);
}

TEST_CASE("a known path with the wrong method is answered with 405") {
  Request put = Get("/items/a");
  put.method = "PUT";
  Response r = TestRouter().Dispatch(put);
  CHECK(r.status == 405);
  CHECK_FALSE(MessageOf(r).empty());
  CHECK(TestRouter().Dispatch(Post("/items/a", "")).status == 405);
}

TEST_CASE("a body with a non-JSON content type is rejected with 415") {
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                           "multipart/form-data; boundary=x"}) {
    INFO(type);
    Response r = TestRouter().Dispatch(Post("/items", "{\"a\":1}", type));
    CHECK(r.status == 415);
  }
}

TEST_CASE(
    "JSON content types with parameters or odd case, and a missing content type, are accepted") {
  for (const char* type :
       {"application/json", "application/json; charset=utf-8", "Application/JSON", ""}) {
    INFO("content type '" << type << "'");
    Response r = TestRouter().Dispatch(Post("/items", "{\"a\":1}", type));
    CHECK(r.status == 201);
    CHECK(Json::parse(r.body)["echo"]["a"] == 1);
  }
}

TEST_CASE("a request without a body is not checked for its content type") {
  Response r = TestRouter().Dispatch(Post("/items", "", "text/plain"));
  CHECK(r.status == 201);
  CHECK(Json::parse(r.body)["echo"] == Json::object());
}

TEST_CASE("an unparsable JSON body is rejected with 422 through Call::BodyJson") {
  for (const char* body : {"{", "{\"a\":}", "not json", "{\"a\":1}}", "\xff"}) {
    INFO(body);
    Response r = TestRouter().Dispatch(Post("/items", body));
    CHECK(r.status == 422);
    CHECK_FALSE(MessageOf(r).empty());
  }
}

TEST_CASE("a JSON body that is not an object is rejected with 400") {
  CHECK(TestRouter().Dispatch(Post("/items", "[1,2]")).status == 400);
  CHECK(TestRouter().Dispatch(Post("/items", "\"text\"")).status == 400);
}

TEST_CASE("error kinds map to HTTP statuses with the message but not the detail") {
  const std::pair<const char*, int> cases[] = {
      {"invalid", 400},       {"unauthorized", 401}, {"notfound", 404}, {"media", 415},
      {"unprocessable", 422}, {"unavailable", 503},  {"config", 500},   {"io", 500},
      {"crypto", 500},        {"internal", 500},
  };
  for (const auto& [kind, status] : cases) {
    INFO(kind);
    Response r = TestRouter().Dispatch(Get(std::string("/fail/") + kind));
    CHECK(r.status == status);
    CHECK(MessageOf(r) == "failed as asked");
    CHECK(r.body.find("secret log-only detail") == std::string::npos);
  }
}

TEST_CASE("a router for the workload socket answers unauthorized with 403") {
  CHECK(TestRouter(403).Dispatch(Get("/fail/unauthorized")).status == 403);
  CHECK(edgesec::http::StatusFor(ErrorKind::kUnauthorized, 403) == 403);
  CHECK(edgesec::http::StatusFor(ErrorKind::kUnauthorized) == 401);
}

TEST_CASE("a 204 reply has an empty body and keeps the handler's headers") {
  Request del = Get("/items/x");
  del.method = "DELETE";
  Response r = TestRouter().Dispatch(del);
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::pair<std::string, std::string>{"X-Deleted", "yes"});
}

TEST_CASE("error messages are escaped into valid JSON") {
  std::string text = "quote \" backslash \\ newline \n tab \t";
  std::string body = edgesec::http::MessageBody(text);
  Json j = Json::parse(body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["message"] == text);
}

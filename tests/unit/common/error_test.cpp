// An error's reason (common/error.hpp) crosses the wire: the router writes it as "reason" beside
// the message, and the client reads it back into the Error, so that a caller in another process
// decides on the reason and never on the message text.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <string>

#include "common/http/client.hpp"
#include "common/http/router.hpp"
#include "common/http/server.hpp"
#include "common/json.hpp"
#include "common/systemd.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::ErrorKind;
using edgesec::ErrorReason;
using edgesec::Json;
using edgesec::http::Call;
using edgesec::http::Reply;

namespace {

constexpr const char* kVersion = "2020-09-01";

edgesec::http::Router ReasonRouter() {
  edgesec::http::Router router({kVersion});
  router.Add("GET", "/expired", kVersion, [](const Call&) -> edgesec::Expected<Reply> {
    return edgesec::InvalidParameter("issuer certificate 'ca' expired")
        .WithReason(ErrorReason::kIssuerExpired);
  });
  router.Add("GET", "/plain", kVersion, [](const Call&) -> edgesec::Expected<Reply> {
    return edgesec::InvalidParameter("the word expired in a message is not a reason");
  });
  return router;
}

}  // namespace

TEST_CASE("the router writes an error's reason beside its message, and none when it has none") {
  auto router = ReasonRouter();
  edgesec::http::Request req;
  req.method = "GET";
  req.path = "/expired";
  req.query["api-version"] = kVersion;
  Json with = Json::parse(router.Dispatch(req).body);
  CHECK(with["reason"] == "issuer-expired");
  CHECK(with["message"] == "issuer certificate 'ca' expired");
  req.path = "/plain";
  Json without = Json::parse(router.Dispatch(req).body);
  CHECK_FALSE(without.contains("reason"));
}

TEST_CASE("reason names round-trip and an unknown name is no reason") {
  for (ErrorReason r : {ErrorReason::kIssuerExpired, ErrorReason::kNotIssuedYet,
                        ErrorReason::kUnsupportedMechanism, ErrorReason::kNoAnswer})
    CHECK(edgesec::ParseReason(edgesec::ReasonName(r)) == r);
  CHECK(edgesec::ParseReason("a-reason-from-a-newer-server") == ErrorReason::kNone);
  CHECK(edgesec::ParseReason("") == ErrorReason::kNone);
  CHECK(std::string(edgesec::ReasonName(ErrorReason::kNone)).empty());
}

TEST_CASE("the client reads the reason back from a real socket; a message alone gives none") {
  edgesec::testing::TempDir dir;
  std::string socket = dir.path() + "/reason.sock";
  auto fd = edgesec::systemd::ListenSocket(socket, "edgesec-unit-test", 0600);
  REQUIRE(fd);
  auto router = std::make_shared<edgesec::http::Router>(ReasonRouter());
  auto server = edgesec::http::Server::Start(
      *fd, [router](const edgesec::http::Request& r) { return router->Dispatch(r); }, {});
  REQUIRE(server);
  edgesec::http::UnixClient client(socket);
  auto expired = client.CallJson("GET", "/expired?api-version=2020-09-01");
  REQUIRE_FALSE(expired);
  CHECK(expired.error().kind == ErrorKind::kInvalidParameter);
  CHECK(expired.error().reason == ErrorReason::kIssuerExpired);
  // Context keeps the reason, as callers add theirs on the way up.
  CHECK(expired.error().Context("issuing").reason == ErrorReason::kIssuerExpired);
  auto plain = client.CallJson("GET", "/plain?api-version=2020-09-01");
  REQUIRE_FALSE(plain);
  CHECK(plain.error().reason == ErrorReason::kNone);
}

// Issue 11 (7a): a request that was sent and got no answer in time is "no answer from … within N s"
// (reason no-answer: the caller may say "still pending"), never "cannot reach", which is kept for a
// socket that is not there or refuses the connection.
TEST_CASE("a client timeout reads as no answer within N s, never as cannot reach") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/silent.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);  // connections complete in the backlog; nobody ever answers
  edgesec::http::UnixClient silent(path, 1500);
  auto r = silent.Send("GET", "/version?api-version=2020-09-01");
  REQUIRE_FALSE(r);
  INFO(r.error().Describe());
  CHECK(r.error().message == "no answer from '" + path + "' within 2 s");
  CHECK(r.error().reason == ErrorReason::kNoAnswer);
  CHECK(r.error().kind == ErrorKind::kUnavailable);
  ::close(fd);

  edgesec::http::UnixClient missing(dir.path() + "/not-there.sock", 1500);
  auto m = missing.Send("GET", "/version?api-version=2020-09-01");
  REQUIRE_FALSE(m);
  CHECK(m.error().message == "cannot reach '" + dir.path() + "/not-there.sock'");
  CHECK(m.error().reason == ErrorReason::kNone);
}

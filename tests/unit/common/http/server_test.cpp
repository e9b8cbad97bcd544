// common/http/server on a real Unix socket, driven by a raw client: malformed and hostile requests
// get a 4xx or a closed connection, slow clients are dropped after the request timeout, and the
// server keeps serving everyone else.
#include "common/http/server.hpp"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/json.hpp"
#include "common/systemd.hpp"
#include "tests/support/temp_root.hpp"
#include "tests/support/raw_http.hpp"

using edgesec::Json;
using edgesec::http::Request;
using edgesec::http::Response;
using edgesec::http::ServerOptions;
using edgesec::testing::RawConnection;
using edgesec::testing::HttpRequest;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<int> handled{0};  // requests that reached the handler

Response Handle(const Request& req) {
  ++handled;
  if (req.path == "/slow") std::this_thread::sleep_for(2s);
  Response r;
  r.body = edgesec::DumpJson(
      Json{{"method", req.method},
           {"path", req.path},
           {"body", req.body},
           {"uid", req.peer_uid},
           {"gid", req.peer_gid},
           {"pid", req.peer_pid},
           {"api", req.query.count("api-version") ? req.query.at("api-version") : ""}});
  return r;
}

ServerOptions FastOptions() {
  ServerOptions o;
  o.request_timeout_seconds = 1;
  return o;
}

struct ServerUnderTest {
  edgesec::testing::TempDir dir;
  std::string socket = dir.path() + "/http.sock";
  std::unique_ptr<edgesec::http::Server> server;

  explicit ServerUnderTest(ServerOptions options = FastOptions()) {
    auto fd = edgesec::systemd::ListenSocket(socket, "edgesec-unit-test", 0600);
    REQUIRE(fd);
    auto started = edgesec::http::Server::Start(*fd, &Handle, options);
    REQUIRE(started);
    server = std::move(*started);
  }

  // A fresh client gets a normal answer: the server survived whatever came before.
  void RequireStillServing() {
    RawConnection client(socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(HttpRequest("GET", "/echo?api-version=after")));
    auto r = client.Read();
    REQUIRE(r.status == 200);
    CHECK(Json::parse(r.body)["api"] == "after");
  }
};

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

TEST_CASE(
    "a request reaches the handler with its method, path, query, body and the peer's credentials") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(
      client.Send(HttpRequest("POST", "/echo/a%24b?api-version=2020-09-01", "{\"x\":1}")));
  auto r = client.Read();
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json");
  Json j = Json::parse(r.body);
  CHECK(j["method"] == "POST");
  CHECK(j["path"] == "/echo/a$b");
  CHECK(j["api"] == "2020-09-01");
  CHECK(j["body"] == "{\"x\":1}");
  CHECK(j["uid"] == ::getuid());
  CHECK(j["gid"] == ::getgid());
  CHECK(j["pid"] == ::getpid());
}

TEST_CASE("a request line with extra words is answered with a 4xx and the server still serves") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send("GET /echo?api-version=x HTTP/1.1 extra words\r\nHost: t\r\n\r\n"));
  auto r = client.Read();
  CHECK(r.status >= 400);
  CHECK(r.status < 500);
  s.RequireStillServing();
}

TEST_CASE(
    "a request line libmicrohttpd cannot parse gets a 4xx or a prompt close, and the server still "
    "serves") {
  // API.md: malformed HTTP that the server library rejects itself may get its own 4xx or a closed
  // connection. With a 30 s request timeout, a close within 10 s is the rejection, not the timeout.
  ServerOptions options;
  options.request_timeout_seconds = 30;
  ServerUnderTest s(options);
  for (const char* line : {"GARBAGE\r\n\r\n", "GET\r\n\r\n", " / HTTP/1.1\r\n\r\n"}) {
    INFO(line);
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(line));
    auto r = client.Read(10s);
    INFO("status " << r.status << (r.closed ? ", closed" : ""));
    CHECK(((r.status >= 400 && r.status < 500) || (r.status == 0 && r.closed)));
  }
  s.RequireStillServing();
}

TEST_CASE("a 20 KiB header block is rejected with 431") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  std::string headers;
  for (int i = 0; i < 20; ++i)
    headers += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
  REQUIRE(client.Send(HttpRequest("GET", "/echo?api-version=x", "", headers)));
  auto r = client.Read();
  CHECK(r.status == 431);
  s.RequireStillServing();
}

TEST_CASE(
    "a 200 KiB header block gets a 4xx or a closed connection, and the server keeps serving") {
  ServerUnderTest s;
  {
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    std::string headers;
    for (int i = 0; i < 200; ++i)
      headers += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'b') + "\r\n";
    client.Send(HttpRequest("GET", "/echo?api-version=x", "",
                            headers));  // may fail half-way: the server hung up
    auto r = client.Read();
    INFO("status " << r.status);
    CHECK((r.status == 0 || (r.status >= 400 && r.status < 500)));
    CHECK(r.status != 200);
  }
  s.RequireStillServing();
}

TEST_CASE("a Content-Length over 1 MiB is refused with 413 before the body is sent") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send(
      "POST /echo?api-version=x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 2000000\r\n\r\n"));
  auto r = client.Read();  // no body byte was sent: the answer comes from the header alone
  CHECK(r.status == 413);
  s.RequireStillServing();
}

TEST_CASE("a Content-Length that is not a number is refused") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(
      client.Send("POST /echo?api-version=x HTTP/1.1\r\nHost: t\r\nContent-Length: lots\r\n\r\n"));
  auto r = client.Read();
  CHECK((r.status == 0 || (r.status >= 400 && r.status < 500)));
  s.RequireStillServing();
}

TEST_CASE("a chunked body larger than the limit is refused with 413") {
  ServerOptions options = FastOptions();
  options.max_body_bytes = 1024;
  ServerUnderTest s(options);
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  std::string chunk(800, 'c');
  REQUIRE(client.Send(
      "POST /echo?api-version=x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  for (int i = 0; i < 3; ++i) client.Send("320\r\n" + chunk + "\r\n");  // 0x320 = 800
  client.Send("0\r\n\r\n");
  auto r = client.Read();
  CHECK(r.status == 413);
  s.RequireStillServing();
}

TEST_CASE("a body cut short by a closed connection does not stop the server") {
  ServerUnderTest s;
  {
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(
        "POST /echo?api-version=x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{\"partial\":"));
  }  // closed here, 89 bytes short
  s.RequireStillServing();
}

TEST_CASE("a client that sends nothing is disconnected after the request timeout") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  CHECK(client.StaysQuiet(300ms));  // not dropped at once
  CHECK(client.WaitClosed(5s));
  s.RequireStillServing();
}

TEST_CASE(
    "a client that trickles one header byte every 300 ms is disconnected after about the timeout") {
  ServerUnderTest s;
  auto start = Clock::now();
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  std::string request =
      "GET /echo?api-version=x HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(100, 's');
  bool closed = false;
  for (size_t i = 0; i < request.size() && SecondsSince(start) < 8; ++i) {
    if (!client.Send(request.substr(i, 1)) || client.WaitClosed(300ms)) {
      closed = true;
      break;
    }
  }
  double elapsed = SecondsSince(start);
  INFO("elapsed " << elapsed << " s");
  CHECK(closed);
  CHECK(elapsed >= 0.9);  // the deadline is 1 s: not dropped before it
  CHECK(elapsed < 5.0);
  s.RequireStillServing();
}

TEST_CASE(
    "a client that trickles its body one byte every 300 ms is disconnected after about the "
    "timeout") {
  ServerUnderTest s;
  auto start = Clock::now();
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send(
      "POST /echo?api-version=x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n"));
  bool closed = false;
  for (int i = 0; i < 100 && SecondsSince(start) < 8; ++i) {
    if (!client.Send("x") || client.WaitClosed(300ms)) {
      closed = true;
      break;
    }
  }
  double elapsed = SecondsSince(start);
  INFO("elapsed " << elapsed << " s");
  CHECK(closed);
  CHECK(elapsed >= 0.9);
  CHECK(elapsed < 5.0);
  s.RequireStillServing();
}

TEST_CASE("a body of exactly the limit is accepted and one byte more is refused with 413") {
  ServerOptions options = FastOptions();
  options.max_body_bytes = 1024;
  ServerUnderTest s(options);
  std::string body = "\"" + std::string(1022, 'b') + "\"";
  {
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(HttpRequest("POST", "/echo?api-version=x", body)));
    auto r = client.Read();
    REQUIRE(r.status == 200);
    CHECK(Json::parse(r.body)["body"] == body);
  }
  {
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(HttpRequest("POST", "/echo?api-version=x", body + " ")));
    CHECK(client.Read().status == 413);
  }
}

TEST_CASE("a keep-alive connection left idle after a response is closed after the timeout") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send(HttpRequest("GET", "/echo?api-version=x")));
  REQUIRE(client.Read().status == 200);
  CHECK(client.StaysQuiet(300ms));
  CHECK(client.WaitClosed(5s));
}

TEST_CASE("keep-alive: two requests on one connection are both answered") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send(HttpRequest("GET", "/echo/first?api-version=1")));
  auto first = client.Read();
  REQUIRE(first.status == 200);
  CHECK(Json::parse(first.body)["path"] == "/echo/first");
  REQUIRE(client.Send(HttpRequest("POST", "/echo/second?api-version=2", "{}")));
  auto second = client.Read();
  REQUIRE(second.status == 200);
  CHECK(Json::parse(second.body)["path"] == "/echo/second");
  CHECK(Json::parse(second.body)["body"] == "{}");
}

TEST_CASE("two pipelined requests sent at once are both answered in order") {
  ServerUnderTest s;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send(HttpRequest("GET", "/echo/one?api-version=1") +
                      HttpRequest("GET", "/echo/two?api-version=1")));
  auto one = client.Read();
  auto two = client.Read();
  REQUIRE(one.status == 200);
  REQUIRE(two.status == 200);
  CHECK(Json::parse(one.body)["path"] == "/echo/one");
  CHECK(Json::parse(two.body)["path"] == "/echo/two");
}

TEST_CASE("a handler slower than the request timeout still gets its answer out") {
  ServerUnderTest s;  // 1 s timeout; /slow takes 2 s once the request is complete
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send(HttpRequest("GET", "/slow?api-version=x")));
  auto r = client.Read(10s);
  CHECK(r.status == 200);
}

TEST_CASE("a slow client does not hold up other clients") {
  ServerUnderTest s;
  RawConnection idle(s.socket);
  REQUIRE(idle.connected());
  REQUIRE(idle.Send("GET /echo?api-version=x HTTP/1.1\r\n"));  // and nothing more
  s.RequireStillServing();
  s.RequireStillServing();
}

TEST_CASE("a percent-encoded NUL in the path or the query is refused with 400 before any handler") {
  ServerUnderTest s;
  using namespace std::string_literals;
  const std::string targets[] = {
      "/echo/edge-ca%00zzz?api-version=x", "/echo/%00?api-version=x",
      "/echo?api-version=2020-09-01%00",   "/echo?api%00-version=x",
      "/echo?api-version=x&other=%00",     "/echo/a%2F%00?api-version=x",
      // Raw NUL bytes: libmicrohttpd 0.9.75 would end the target at them silently.
      "/echo/edge-ca\0zzz?api-version=x"s, "/echo?api-version=x\0y"s, "/echo/\0?api-version=x"s,
  };
  for (const std::string& target : targets) {
    INFO(target);
    int before = handled;
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(HttpRequest("GET", target)));
    auto r = client.Read();
    CHECK(r.status == 400);
    Json j = Json::parse(r.body, nullptr, false);
    CHECK(j.value("message", "").find("NUL byte") != std::string::npos);
    CHECK(handled == before);
  }
  // The message says where the NUL was.
  {
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(HttpRequest("GET", "/echo/a%00b?api-version=x")));
    CHECK(Json::parse(client.Read().body)["message"] ==
          "the request path contains a NUL byte");
  }
  {
    RawConnection client(s.socket);
    REQUIRE(client.connected());
    REQUIRE(client.Send(HttpRequest("GET", "/echo?api-version=x%00")));
    CHECK(Json::parse(client.Read().body)["message"] ==
          "the request query contains a NUL byte");
  }
  // A request pipelined after a refused one is refused by nothing it did not contain: answered,
  // or the connection closed with the refusal.
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  REQUIRE(client.Send(HttpRequest("GET", "/echo/a%00b?api-version=x") +
                      HttpRequest("GET", "/echo/a%30b?api-version=x")));
  CHECK(client.Read().status == 400);
  auto next = client.Read();
  INFO("status " << next.status << (next.closed ? ", closed" : ""));
  CHECK((next.status == 200 || (next.status == 0 && next.closed)));
  if (next.status == 200) CHECK(Json::parse(next.body)["path"] == "/echo/a0b");
  // An escaped percent followed by 00 is the text "%00", not a NUL; so is %%30%30.
  for (const char* text : {"/echo/a%2500?api-version=x", "/echo/a%%30%30?api-version=x%2500"}) {
    INFO(text);
    RawConnection plain(s.socket);
    REQUIRE(plain.connected());
    REQUIRE(plain.Send(HttpRequest("GET", text)));
    auto r = plain.Read();
    CHECK(r.status == 200);
  }
}

TEST_CASE("two Content-Length headers that disagree are refused with 400 before any handler") {
  ServerUnderTest s;
  int before = handled;
  RawConnection client(s.socket);
  REQUIRE(client.connected());
  client.Send(
      "POST /echo?api-version=x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}xyz");
  auto r = client.Read();
  INFO("status " << r.status << (r.closed ? ", closed" : ""));
  CHECK(r.status == 400);
  CHECK(Json::parse(r.body, nullptr, false).value("message", "").find("Content-Length") !=
        std::string::npos);
  CHECK(handled == before);
  s.RequireStillServing();
}

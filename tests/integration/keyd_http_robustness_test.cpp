// Malformed HTTP against the real keyd, from a raw socket: garbage, bad request lines, a 20 KiB header
// block (431), a 2 MiB Content-Length (413, answered before the body is sent), a truncated body. After
// each, keyd still answers a normal request on a new connection.
#include <signal.h>

#include <thread>


#include "tests/integration/harness.hpp"
#include "tests/support/raw_http.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using namespace std::chrono_literals;

namespace {

// keyd is alive, answers, and still signs verifiably.
void RequireHealthy(Keyd& k, const std::string& handle) {
  REQUIRE(::kill(k.under_test.keyd.pid(), 0) == 0);
  RawConnection c(k.socket());
  REQUIRE(c.connected());
  REQUIRE(c.Send(HttpRequest("GET", At("/version"))));
  RawResponse r = c.Read(10s);
  CHECK(r.status == 200);
  CHECK(Json::parse(r.body, nullptr, false)["name"] == "edgesec-keyd");
  Bytes digest = Sha256Of(ToBytes("still here"));
  Bytes sig = MUST(k.client.Sign(keyd::api::SignRequest{handle, keyd::api::SignAlgorithm::kEcdsa, digest}));
  CHECK(VerifyDigest(MUST(k.client.PublicKey(handle)).get(), digest, sig));
}

// Sends `data` on a new connection; returns keyd's first response, or status 0 when keyd closed the
// connection without one. Fails the test when keyd neither answers nor closes within 12 s.
RawResponse Exchange(Keyd& k, const std::string& data) {
  RawConnection c(k.socket());
  REQUIRE(c.connected());
  c.Send(data);  // keyd may close before reading all of it
  RawResponse r = c.Read(12s);
  if (r.status != 0) return r;
  INFO("keyd neither answered nor closed the connection");
  REQUIRE((r.closed || c.WaitClosed(0ms)));
  return r;
}

}  // namespace

TEST_CASE("keyd survives garbage and bad request lines and keeps serving") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("k"));
  const std::string inputs[] = {
      std::string("\x00\x01\x02\xff garbage\r\n\r\n", 15),
      "GET\r\n\r\n",
      "GET /version?api-version=2020-09-01\r\n\r\n",          // no HTTP version
      "GET /version?api-version=2020-09-01 HTTP/9.9\r\nHost: x\r\n\r\n",
      "G@T /version HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /version?api-version=2020-09-01 HTTP/1.1\r\nno colon here\r\n\r\n",
      "POST /sign?api-version=2020-09-01 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /sign?api-version=2020-09-01 HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n",
      "POST /sign?api-version=2020-09-01 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
      std::string(70000, 'A'),
      "\r\n\r\n\r\n",
  };
  for (const std::string& input : inputs) {
    INFO("input: " << input.substr(0, 80));
    RawResponse r = Exchange(k, input);
    // A 4xx from keyd or libmicrohttpd (505 for an HTTP version it does not speak), or a closed
    // connection; never a success, never a crash.
    if (r.status != 0) {
      CHECK(r.status >= 400);
      CHECK((r.status < 500 || r.status == 505));
    }
    RequireHealthy(k, handle);
  }
}

TEST_CASE("a 20 KiB header block is refused with 431") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("k"));
  std::string request = "GET " + At("/keypairs") + " HTTP/1.1\r\nHost: keyd.sock\r\n";
  for (int i = 0; i < 20; ++i) request += "X-Padding-" + std::to_string(i) + ": " + std::string(1024, 'p') + "\r\n";
  request += "Connection: close\r\n\r\n";
  RawResponse r = Exchange(k, request);
  CHECK(r.status == 431);
  CHECK(Json::parse(r.body, nullptr, false).contains("message"));
  RequireHealthy(k, handle);
  // One big header does the same.
  RawResponse one = Exchange(k, "GET " + At("/keypairs") + " HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'b') +
                                    "\r\nConnection: close\r\n\r\n");
  CHECK(one.status == 431);
  RequireHealthy(k, handle);
}

TEST_CASE("a 2 MiB Content-Length is refused with 413 before the body is sent") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("k"));
  RawConnection c(k.socket());
  REQUIRE(c.connected());
  REQUIRE(c.Send("POST " + At("/sign") + " HTTP/1.1\r\nHost: keyd.sock\r\nContent-Type: application/json\r\n"
                 "Content-Length: 2097152\r\n\r\n"));
  // No body byte sent: the answer comes from the header alone.
  RawResponse r = c.Read(5s);
  REQUIRE(r.status != 0);
  CHECK(r.status == 413);
  CHECK(Json::parse(r.body, nullptr, false).contains("message"));
  c.Close();
  RequireHealthy(k, handle);

  // A body of exactly 1 MiB is still read (and refused for what it says, not for its size).
  std::string body = "{\"keyId\":\"k\",\"pad\":\"" + std::string((1 << 20) - 22, 'x') + "\"}";
  REQUIRE(body.size() == (1u << 20));
  RawResponse ok = Exchange(k, HttpRequest("POST", At("/keypair"), body));
  CHECK(ok.status == 200);
  RequireHealthy(k, handle);
}

TEST_CASE("a truncated body followed by a close leaves keyd serving") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("k"));
  for (int round = 0; round < 5; ++round) {
    RawConnection c(k.socket());
    REQUIRE(c.connected());
    std::string body = DumpJson(Json{{"keyId", "never-" + std::to_string(round)}});
    std::string request = HttpRequest("POST", At("/keypair"), body + std::string(100, ' '));
    // The header promises 100 more bytes than are sent.
    REQUIRE(c.Send(request.substr(0, request.size() - 100)));
    c.Close();
  }
  // A connection that opens and closes without a byte, too.
  { RawConnection idle(k.socket()); }
  std::this_thread::sleep_for(200ms);
  RequireHealthy(k, handle);
  // None of the truncated requests was executed.
  CHECK(MUST(k.client.ListKeyPairs()).size() == 1);
}

TEST_CASE("a percent-encoded NUL never shortens a key id: 400 naming it, and no handle revealed") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("edge-ca"));
  // Before the fix, /keypair/edge-ca%00zzz reached the route as "edge-ca" and answered 200 with
  // edge-ca's handle.
  for (const std::string& target :
       {At("/keypair/edge-ca%00zzz"), At("/keypair/%00"), At("/keypairs", "2020-09-01%00"),
        At("/keypair/edge-ca") + "&x=%00"}) {
    INFO(target);
    RawResponse r = Exchange(k, HttpRequest("GET", target));
    CHECK(r.status == 400);
    CHECK(Json::parse(r.body, nullptr, false).value("message", "").find("NUL byte") !=
          std::string::npos);
    CHECK(r.body.find(handle) == std::string::npos);
  }
  // A create with a NUL-shortened id creates nothing.
  RawResponse create =
      Exchange(k, HttpRequest("POST", At("/keypair%00"), DumpJson(Json{{"keyId", "fresh"}})));
  CHECK(create.status == 400);
  CHECK(MUST(k.client.ListKeyPairs()).size() == 1);
  RequireHealthy(k, handle);
}

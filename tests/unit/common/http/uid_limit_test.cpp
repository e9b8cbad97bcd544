// The per-uid connection limit (common/http/uid_limit) in a real server on a Unix socket: a uid that
// holds max_requests connections has its next one closed at once and unanswered, a closed (or
// reaped) connection frees its slot, exempt uids are not counted, a reload changes the limit, and
// refused connections leave no thread behind. All connections here are this process's own uid,
// which the tests take off the exempt list; other uids are tests/integration/uid_limit_test.sh.
#include "common/http/uid_limit.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/http/server.hpp"
#include "common/systemd.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::http::Request;
using edgesec::http::Response;
using edgesec::http::ServerOptions;
using edgesec::http::UidLimit;
using edgesec::testing::HttpRequest;
using edgesec::testing::RawConnection;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A request line and a header, but never the blank line that ends the header block.
const std::string kHalfRequest = "GET /echo?api-version=x HTTP/1.1\r\nHost: t\r\n";

Response Handle(const Request&) {
  Response r;
  r.body = "{}";
  return r;
}

struct ServerUnderTest {
  edgesec::testing::TempDir dir;
  std::string socket = dir.path() + "/http.sock";
  std::shared_ptr<UidLimit> limit;
  std::unique_ptr<edgesec::http::Server> server;

  ServerUnderTest(std::shared_ptr<UidLimit> per_uid, unsigned timeout_seconds = 10)
      : limit(std::move(per_uid)) {
    auto fd = edgesec::systemd::ListenSocket(socket, "edgesec-unit-test", 0600);
    REQUIRE(fd);
    ServerOptions options;
    options.request_timeout_seconds = timeout_seconds;
    options.per_uid = limit;
    auto started = edgesec::http::Server::Start(*fd, &Handle, options);
    REQUIRE(started);
    server = std::move(*started);
  }

  // A connection with half a request, held open by the server (not closed within 300 ms).
  std::unique_ptr<RawConnection> Hold() {
    auto c = std::make_unique<RawConnection>(socket);
    REQUIRE(c->connected());
    REQUIRE(c->Send(kHalfRequest));
    REQUIRE(c->StaysQuiet(300ms));
    return c;
  }

  // True when a fresh connection gets a 200 within `within` (retrying: a slot frees itself only
  // once the server has seen the close).
  bool ServedWithin(std::chrono::milliseconds within) {
    auto end = Clock::now() + within;
    do {
      RawConnection c(socket);
      if (c.connected() && c.Send(HttpRequest("GET", "/echo?api-version=x")) &&
          c.Read(1s).status == 200)
        return true;
      std::this_thread::sleep_for(50ms);
    } while (Clock::now() < end);
    return false;
  }
};

// This process's own uid, limited like any caller.
std::shared_ptr<UidLimit> LimitOwnUid(unsigned max) {
  return std::make_shared<UidLimit>(max, std::vector<uid_t>{});
}

size_t ThreadCount() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

}  // namespace

TEST_CASE("a uid that holds max_requests connections has its next one closed at once, unanswered") {
  ServerUnderTest s(LimitOwnUid(3));
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) held.push_back(s.Hold());
  CHECK(s.limit->Held(::getuid()) == 3);

  RawConnection over(s.socket);
  REQUIRE(over.connected());  // accepted…
  auto start = Clock::now();
  over.Send(kHalfRequest);
  auto r = over.Read(2s);  // …and closed without a byte
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  CHECK(r.status == 0);
  CHECK(r.closed);
  CHECK(seconds < 1.0);
  CHECK(s.limit->Held(::getuid()) == 3);

  // The held connections are served as usual once their request is complete.
  for (auto& c : held) {
    REQUIRE(c->Send("\r\n"));
    CHECK(c->Read().status == 200);
  }
}

TEST_CASE("a connection that closes frees its slot for the same uid") {
  ServerUnderTest s(LimitOwnUid(2));
  auto a = s.Hold();
  auto b = s.Hold();
  {
    RawConnection over(s.socket);
    REQUIRE(over.connected());
    CHECK(over.WaitClosed(1s));
  }
  a->Close();
  CHECK(s.ServedWithin(3s));
  CHECK(s.limit->Held(::getuid()) <= 2);
}

TEST_CASE("the request deadline still drops held connections, which frees their slots") {
  ServerUnderTest s(LimitOwnUid(2), /*timeout_seconds=*/1);
  auto a = s.Hold();
  auto b = s.Hold();
  CHECK(a->WaitClosed(5s));
  CHECK(b->WaitClosed(5s));
  CHECK(s.ServedWithin(3s));
}

TEST_CASE("root and the daemon's own uid are not limited") {
  auto limit = std::make_shared<UidLimit>(2);  // default exemptions: 0 and geteuid()
  ServerUnderTest s(limit);
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 6; ++i) held.push_back(s.Hold());
  CHECK(s.ServedWithin(1s));
  CHECK(limit->Held(::geteuid()) == 0);
  CHECK(limit->Admit(0, "test"));
  CHECK(limit->Admit(0, "test"));
  CHECK(limit->Admit(0, "test"));
}

TEST_CASE("a new limit (reload) applies to the next connections of a running server") {
  ServerUnderTest s(LimitOwnUid(1));
  auto a = s.Hold();
  {
    RawConnection over(s.socket);
    CHECK(over.WaitClosed(1s));
  }
  s.limit->SetMax(3);
  auto b = s.Hold();
  auto c = s.Hold();
  RawConnection over(s.socket);
  CHECK(over.WaitClosed(1s));
}

TEST_CASE("refused connections leave no thread behind") {
  ServerUnderTest s(LimitOwnUid(2));
  auto a = s.Hold();
  auto b = s.Hold();
  size_t baseline = ThreadCount();
  for (int i = 0; i < 200; ++i) {
    RawConnection over(s.socket);
    REQUIRE(over.connected());
    CHECK(over.WaitClosed(2s));
  }
  size_t after = ThreadCount();
  for (int i = 0; i < 50 && after > baseline; ++i) {
    std::this_thread::sleep_for(20ms);
    after = ThreadCount();
  }
  INFO("threads before " << baseline << ", after " << after);
  CHECK(after <= baseline);
  CHECK(s.limit->Held(::getuid()) == 2);
}

TEST_CASE("UidLimit counts per uid, releases, and takes a limit of 0 as 1") {
  UidLimit limit(2, {});
  CHECK(limit.Admit(1000, "s"));
  CHECK(limit.Admit(1000, "s"));
  CHECK_FALSE(limit.Admit(1000, "s"));
  CHECK(limit.Admit(1001, "s"));  // another uid has its own count
  limit.Release(1000);
  CHECK(limit.Held(1000) == 1);
  CHECK(limit.Admit(1000, "s"));
  limit.SetMax(0);
  CHECK(limit.max() == 1);
  CHECK(limit.Admit(1002, "s"));
  CHECK_FALSE(limit.Admit(1002, "s"));
}

TEST_CASE("edgesec's service users are exempt where they exist; unknown names are skipped") {
  // "nobody" stands in for a service user: it exists on every Debian system.
  std::vector<uid_t> exempt = edgesec::http::ExemptUids({"nobody", "no-such-user-edgesec"});
  CHECK(exempt.size() == 3);
  CHECK(std::count(exempt.begin(), exempt.end(), static_cast<uid_t>(0)) >= 1);
  CHECK(std::count(exempt.begin(), exempt.end(), ::geteuid()) >= 1);
  CHECK(std::count(exempt.begin(), exempt.end(), static_cast<uid_t>(65534)) == 1);
  UidLimit limit(1, exempt);
  CHECK(limit.Admit(65534, "test.sock"));
  CHECK(limit.Admit(65534, "test.sock"));  // exempt: never counted
  CHECK(limit.Admit(1234, "test.sock"));
  CHECK_FALSE(limit.Admit(1234, "test.sock"));
  CHECK(edgesec::http::kServiceUsers ==
        std::vector<std::string>{"edgeks", "edgecs", "edgeid"});
}

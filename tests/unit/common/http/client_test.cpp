// common/http/client: the lean keep-alive client against a scripted fake server (a raw socket that
// answers what a real server would only do by accident: answers in pieces, chunked bodies, garbage,
// answers cut short, kept connections closed under the client's feet), and against the real server
// of common/http/server for connection reuse.
#include "common/http/client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/http/server.hpp"
#include "common/systemd.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::ErrorKind;
using edgesec::http::UnixClient;
using namespace std::chrono_literals;

namespace {

// Called per request with the connection, the request's index on that connection and the request
// text (head and body); returns false to close the connection afterwards.
using Script = std::function<bool(int fd, int index, const std::string& request)>;

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads one request: the head up to the blank line, then Content-Length bytes. Empty on close.
std::string ReadRequest(int fd) {
  std::string text;
  char c;
  while (text.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd, &c, 1, 0) != 1) return {};
    text += c;
  }
  size_t length = 0;
  if (auto at = text.find("Content-Length: "); at != std::string::npos)
    length = std::stoul(text.substr(at + 16));
  while (length-- > 0) {
    if (::recv(fd, &c, 1, 0) != 1) return {};
    text += c;
  }
  return text;
}

class FakeServer {
 public:
  explicit FakeServer(Script script) : script_(std::move(script)) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_, 16) == 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
    std::lock_guard lock(mutex_);
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);  // ends the connections' reads
    for (auto& t : connections_) t.join();
    for (int fd : open_) ::close(fd);
    ::close(listen_);
  }
  int accepts() const { return accepts_; }
  int requests() const { return requests_; }
  // Waits (up to 10 s) until the server has closed `n` connections.
  bool WaitClosed(int n) const {
    for (int i = 0; i < 1000 && closed_ < n; ++i) std::this_thread::sleep_for(10ms);
    return closed_ >= n;
  }
  edgesec::testing::TempDir dir;
  const std::string path = dir.path() + "/fake.sock";

 private:
  void Run() {
    while (!stop_) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepts_;
      std::lock_guard lock(mutex_);
      open_.push_back(fd);
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }
  // One thread per connection: a client may hold a kept connection while another connects.
  void Serve(int fd) {
    for (int index = 0;; ++index) {
      std::string request = ReadRequest(fd);
      if (request.empty()) break;
      ++requests_;
      if (!script_(fd, index, request)) break;
    }
    ::shutdown(fd, SHUT_RDWR);  // closed for the client; the descriptor is closed at the end
    ++closed_;
  }
  Script script_;
  int listen_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepts_{0}, requests_{0}, closed_{0};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> connections_;
};

constexpr const char* kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

}  // namespace

TEST_CASE("consecutive calls share one kept-alive connection; the real server reads big bodies whole") {
  FakeServer fake([](int fd, int, const std::string&) {
    WriteAll(fd, kOk);
    return true;
  });
  UnixClient client(fake.path, 5000);
  for (int i = 0; i < 5; ++i) {
    auto r = client.Send("GET", "/version?api-version=2020-09-01");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "{}");
  }
  CHECK(fake.accepts() == 1);
  CHECK(fake.requests() == 5);

  edgesec::testing::TempDir dir;
  std::string socket = dir.path() + "/real.sock";
  auto fd = edgesec::systemd::ListenSocket(socket, "edgesec-unit-test", 0600);
  REQUIRE(fd);
  std::atomic<int> handled{0};
  std::atomic<long> last_pid{0};
  auto server = edgesec::http::Server::Start(*fd, [&](const edgesec::http::Request& req) {
    ++handled;
    last_pid = req.peer_pid;
    edgesec::http::Response resp;
    resp.body = "{\"body\":" + std::to_string(req.body.size()) + "}";
    return resp;
  });
  REQUIRE(server);
  UnixClient real(socket, 5000);
  std::string body(100000, 'x');  // more than one socket buffer's worth is written in full
  body = "\"" + body + "\"";
  auto big = real.Send("POST", "/echo", &body);
  REQUIRE(big);
  CHECK(big->body == "{\"body\":100002}");
  for (int i = 0; i < 3; ++i) REQUIRE(real.CallJson("GET", "/x"));
  CHECK(handled == 4);
  CHECK(last_pid == ::getpid());
}

TEST_CASE("answers in pieces, chunked, or closed after the answer are read whole") {
  FakeServer fake([](int fd, int index, const std::string&) {
    if (index == 0) {  // one byte at a time, chunked
      std::string answer =
          "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
      for (char c : answer) {
        WriteAll(fd, std::string_view(&c, 1));
        std::this_thread::sleep_for(1ms);
      }
      return true;
    }
    WriteAll(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 7\r\n\r\n{\"b\":2}");
    return false;
  });
  UnixClient client(fake.path, 5000);
  auto first = client.CallJson("POST", "/first", edgesec::Json{{"x", 1}});
  REQUIRE(first);
  CHECK((*first)["a"] == 1);
  auto second = client.CallJson("GET", "/second");
  REQUIRE(second);
  CHECK((*second)["b"] == 2);
  // The server said close: the next call opens a new connection and needs no retry.
  auto third = client.Send("GET", "/third");
  REQUIRE(third);
  CHECK(fake.accepts() == 2);
}

TEST_CASE("a kept connection the server closed meanwhile is replaced before a request goes out on it") {
  FakeServer fake([](int fd, int, const std::string&) {
    WriteAll(fd, kOk);
    return false;  // closes after every answer, without saying so
  });
  UnixClient client(fake.path, 5000);
  for (int i = 0; i < 4; ++i) {
    auto r = client.Send(i % 2 ? "POST" : "GET", "/again");
    REQUIRE(r);
    CHECK(r->status == 200);
    REQUIRE(fake.WaitClosed(i + 1));  // the kept connection is closed before the next call
  }
  CHECK(fake.accepts() == 4);
  CHECK(fake.requests() == 4);  // no request was sent twice, nor on a closed connection
}

TEST_CASE("garbage, cut and missing answers are errors that say so; a fresh connection is not retried") {
  std::atomic<int> mode{0};
  FakeServer fake([&](int fd, int, const std::string&) {
    if (mode == 0) WriteAll(fd, "HELLO THERE\r\n\r\n");
    if (mode == 1) WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    return false;  // mode 2: closes without a byte
  });
  UnixClient client(fake.path, 5000);
  auto garbage = client.Send("GET", "/g");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().kind == ErrorKind::kUnavailable);
  CHECK_THAT(garbage.error().Describe(), Catch::Contains("failed before an answer") &&
                                             Catch::Contains("malformed answer"));
  mode = 1;
  auto cut = client.Send("GET", "/c");
  REQUIRE_FALSE(cut);
  CHECK_THAT(cut.error().Describe(), Catch::Contains("cut short"));
  mode = 2;
  int before = fake.requests();
  auto none = client.Send("POST", "/n");
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().Describe(), Catch::Contains("closed without an answer"));
  CHECK(fake.requests() == before + 1);  // a POST on a fresh connection is never sent twice
}

TEST_CASE("a target that would break the request line is refused before anything is sent") {
  FakeServer fake([](int fd, int, const std::string&) {
    WriteAll(fd, kOk);
    return true;
  });
  UnixClient client(fake.path, 5000);
  for (const char* target : {"/a b", "/a\r\nX-Injected: 1", "", "relative", "/tab\there"}) {
    auto r = client.Send("GET", target);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::kInvalidParameter);
  }
  std::this_thread::sleep_for(100ms);
  CHECK(fake.accepts() == 0);
}

TEST_CASE("timeout 0 waits as long as the answer takes; a connection is never shared across fork") {
  FakeServer fake([](int fd, int, const std::string& request) {
    if (request.rfind("GET /slow", 0) == 0) std::this_thread::sleep_for(1500ms);
    WriteAll(fd, kOk);
    return true;
  });
  UnixClient patient(fake.path, 0);
  REQUIRE(patient.Send("GET", "/slow"));
  REQUIRE(patient.Send("GET", "/fast"));
  CHECK(fake.accepts() == 1);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(patient.Send("GET", "/child") ? 0 : 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(fake.accepts() == 2);  // the child opened its own
  REQUIRE(patient.Send("GET", "/parent"));
  CHECK(fake.accepts() == 2);  // the parent's kept connection still works
}

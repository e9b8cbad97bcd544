#pragma once
// What the whole-service fuzz targets (fuzz_keyd_service.cpp, fuzz_workload_service.cpp) share: a
// listening Unix socket for a real http::Server, one raw exchange on a fresh connection (write the
// input while draining the answer, half-close, read until the server closes), and the status of an
// answer's first line.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.hpp"

namespace edgesec::fuzz {

inline sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  FUZZ_CHECK(path.size() < sizeof addr.sun_path);
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

// A socket bound to `path` and listening, for http::Server::Start (which takes it).
inline int ListenUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0);
  sockaddr_un addr = UnixAddress(path);
  FUZZ_CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  FUZZ_CHECK(::listen(fd, 64) == 0);
  return fd;
}

inline int Connect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0);
  sockaddr_un addr = UnixAddress(path);
  FUZZ_CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Writes `bytes` while draining the answer (so that neither side blocks on a full buffer),
// half-closes, then reads until the server closes. Aborts when the server is still silent after
// `seconds`.
inline std::string Exchange(const std::string& path, std::string_view bytes, int seconds) {
  int fd = Connect(path);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::string answer;
  bool write_open = true;
  for (;;) {
    if (write_open && bytes.empty()) {
      ::shutdown(fd, SHUT_WR);
      write_open = false;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    FUZZ_CHECK(left.count() > 0);  // the server neither answered nor closed in time
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[8192];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;  // closed (or reset after refusing the rest of the input)
      answer.append(buf, static_cast<size_t>(n));
    }
    if (write_open && (p.revents & POLLOUT)) {
      ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        write_open = false;  // the server closed its side: it refused the input
      } else if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return answer;
}

// The status of an answer's first line, "HTTP/1.x NNN reason\r\n"; -1 when malformed.
inline int StatusOf(std::string_view answer) {
  size_t eol = answer.find("\r\n");
  if (eol == std::string_view::npos) return -1;
  std::string_view line = answer.substr(0, eol);
  if (line.size() < 13 || (line.substr(0, 9) != "HTTP/1.1 " && line.substr(0, 9) != "HTTP/1.0 ") ||
      line[12] != ' ')
    return -1;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    status = status * 10 + (line[i] - '0');
  }
  return status;
}

// The property both whole-service targets check of an answer: empty (the server refused the input
// by closing), or a status line whose status is one of `allowed`. EDGESEC_FUZZ_VERBOSE=1 shows what
// each replayed input reached.
inline void CheckAnswer(const std::string& answer, const std::set<int>& allowed) {
  if (answer.empty()) return;
  int status = StatusOf(answer);
  if (std::getenv("EDGESEC_FUZZ_VERBOSE") != nullptr)
    std::fprintf(stderr, "  -> %.*s\n", static_cast<int>(std::min<size_t>(answer.size(), 300)),
                 answer.c_str());
  if (allowed.count(status) != 1) std::fprintf(stderr, "answer: %.300s\n", answer.c_str());
  FUZZ_CHECK(allowed.count(status) == 1);
}

}  // namespace edgesec::fuzz

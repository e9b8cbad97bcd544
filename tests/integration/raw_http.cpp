#include "tests/integration/raw_http.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace edgesec::testing {
namespace {

using Clock = std::chrono::steady_clock;

int Remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

RawConnection::RawConnection(const std::string& socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConnection::Send(const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawConnection::ReadUntilClose(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string out = std::move(buffered_);
  buffered_.clear();
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, Remaining(deadline));
    if (rc <= 0) return out;  // timeout
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::optional<std::string> RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t end = buffered_.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      RawResponse head = ParseResponse(buffered_.substr(0, end + 4));
      for (size_t pos = 0; (pos = head.headers.find('\n', pos)) != std::string::npos; ++pos) {
        if (strncasecmp(head.headers.c_str() + pos + 1, "content-length:", 15) == 0)
          length = std::stoul(head.headers.substr(pos + 16));
      }
      if (buffered_.size() >= end + 4 + length) {
        std::string response = buffered_.substr(0, end + 4 + length);
        buffered_.erase(0, end + 4 + length);
        return response;
      }
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, Remaining(deadline)) <= 0) return std::nullopt;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

bool RawConnection::PeerClosed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    int rc = ::poll(&p, 1, Remaining(deadline));
    if (rc <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) return true;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
    if (n > 0) buffered_.append(buf, static_cast<size_t>(n));
  }
}

RawResponse ParseResponse(const std::string& text) {
  RawResponse r;
  size_t end = text.find("\r\n\r\n");
  r.headers = text.substr(0, end == std::string::npos ? text.size() : end);
  if (end != std::string::npos) r.body = text.substr(end + 4);
  if (text.rfind("HTTP/1.", 0) == 0 && text.size() >= 12) r.status = std::atoi(text.c_str() + 9);
  return r;
}

std::string HttpRequest(const std::string& method, const std::string& target, const std::string& body, bool close) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: keyd.sock\r\n";
  if (close) r += "Connection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "DELETE")
    r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

}  // namespace edgesec::testing

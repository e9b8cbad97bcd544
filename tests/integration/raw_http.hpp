#pragma once
// A deliberately dumb HTTP client on a raw Unix socket, for what curl and libcurl will not send:
// malformed requests, huge headers, lying Content-Lengths, one byte per second. Thread-safe and free of
// test assertions, so that load tests can call it from many threads.

#include <chrono>
#include <optional>
#include <string>

namespace edgesec::testing {

// A connected socket, closed on destruction; fd() < 0 when the connection failed.
class RawConnection {
 public:
  explicit RawConnection(const std::string& socket_path);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  int fd() const { return fd_; }
  bool connected() const { return fd_ >= 0; }
  // False when the peer has gone (EPIPE, ECONNRESET); never raises SIGPIPE.
  bool Send(const std::string& data);
  // Everything until the peer closes or `timeout` passes.
  std::string ReadUntilClose(std::chrono::milliseconds timeout);
  // One complete response (headers + Content-Length body), leaving the connection open; nullopt on
  // timeout or close.
  std::optional<std::string> ReadResponse(std::chrono::milliseconds timeout);
  // True when the peer has closed (or reset) the connection; waits up to `timeout` for it.
  bool PeerClosed(std::chrono::milliseconds timeout);
  void Close();

 private:
  int fd_ = -1;
  std::string buffered_;
};

struct RawResponse {
  int status = 0;  // 0 when there was no parsable status line
  std::string headers;
  std::string body;
};
RawResponse ParseResponse(const std::string& text);

// "METHOD target HTTP/1.1" with Host, Content-Type and Content-Length for `body`.
std::string HttpRequest(const std::string& method, const std::string& target, const std::string& body = {},
                        bool close = true);

}  // namespace edgesec::testing

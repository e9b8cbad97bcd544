#pragma once
// A deliberately dumb HTTP client on a raw Unix socket, for what curl and libcurl will not send:
// broken request lines, huge header blocks, lying Content-Lengths, one byte at a time. Free of test
// assertions and exceptions, so that load tests can use it from many threads.

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace edgesec::testing {

struct RawResponse {
  int status = 0;  // 0 when no status line arrived
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool closed = false;  // the server closed the connection before a complete response arrived
};

class RawConnection {
 public:
  explicit RawConnection(const std::string& socket_path);  // connected() tells whether it worked
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Sends everything; false when the peer has gone (EPIPE, ECONNRESET). Never raises SIGPIPE.
  bool Send(std::string_view data);
  // Reads one response (status line, headers, Content-Length body) within `timeout`, leaving the
  // connection open for the next.
  RawResponse Read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the server closed (or reset) the connection within `timeout`; bytes that arrive
  // meanwhile are discarded.
  bool WaitClosed(std::chrono::milliseconds timeout);
  // True when the connection is still open and nothing arrived within `wait`.
  bool StaysQuiet(std::chrono::milliseconds wait);
  void Close();

 private:
  // Appends what arrives before `deadline` to buffer_; false on close, error or timeout (and sets
  // closed_ on close or error).
  bool Fill(std::chrono::steady_clock::time_point deadline);
  bool closed_ = false;
  int fd_ = -1;
  std::string buffer_;
};

// "METHOD target HTTP/1.1", a Host header, `extra_headers` (complete "Name: value\r\n" lines), and for a
// body or a POST/PUT/DELETE the Content-Type and Content-Length; then the body.
std::string HttpRequest(const std::string& method, const std::string& target, const std::string& body = {},
                        const std::string& extra_headers = {});

}  // namespace edgesec::testing

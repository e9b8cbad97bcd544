#pragma once
// A deliberately dumb HTTP client on a raw Unix socket, for sending what a real client never would:
// broken request lines, huge header blocks, lies in Content-Length, one byte at a time.

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace edgesec::testing {

struct RawResponse {
  int status = 0;  // 0 when the connection closed before a status line arrived
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool closed = false;  // the server closed the connection before a complete response arrived
};

class RawClient {
 public:
  // Connects to `socket_path`; throws std::runtime_error when it cannot.
  explicit RawClient(const std::string& socket_path);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends everything; false when the peer has gone (EPIPE, ECONNRESET).
  bool Send(std::string_view data);
  // Reads one response (status line, headers, Content-Length body) within `timeout`.
  RawResponse Read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the server closed (or reset) the connection within `timeout`; bytes that arrive
  // meanwhile are discarded.
  bool WaitClosed(std::chrono::milliseconds timeout);
  // True when the connection is still open and nothing arrived within `wait`.
  bool StaysQuiet(std::chrono::milliseconds wait);
  int fd() const { return fd_; }

 private:
  // Appends what arrives within the deadline to buffer_; false on close, error or timeout (and sets
  // closed_ on close or error).
  bool Fill(std::chrono::steady_clock::time_point deadline);
  bool closed_ = false;
  int fd_ = -1;
  std::string buffer_;
};

// "GET /path?api-version=2020-09-01 HTTP/1.1" with Host and any extra header lines, then a blank
// line.
std::string SimpleRequest(const std::string& method, const std::string& path,
                          const std::string& extra_headers = "", const std::string& body = "");

}  // namespace edgesec::testing

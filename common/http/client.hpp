#pragma once
// HTTP/1.1 client over a Unix socket (libcurl with CURLOPT_UNIX_SOCKET_PATH). Thread-safe: a small
// pool of easy handles keeps connections alive between calls.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/ossl.hpp"

namespace edgesec::http {

struct ClientResponse {
  long status = 0;
  std::string body;
};

class UnixClient {
 public:
  explicit UnixClient(std::string socket_path, long timeout_ms = 60000);
  ~UnixClient();
  UnixClient(const UnixClient&) = delete;
  UnixClient& operator=(const UnixClient&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  // kUnavailable when the socket cannot be reached ("cannot reach"), or when no answer came within
  // the timeout ("no answer from … within N s", reason kNoAnswer); any HTTP status is a value.
  Expected<ClientResponse> Send(std::string_view method, std::string_view path_and_query,
                                const std::string* body = nullptr);
  // Sends JSON, returns the JSON answer of a 2xx (an empty object for 204); a 4xx/5xx becomes an
  // Error whose kind follows the status and whose message is the server's "message".
  Expected<Json> CallJson(std::string_view method, std::string_view path_and_query,
                          const std::optional<Json>& body = std::nullopt);

 private:
  CurlPtr Take();
  void Give(CurlPtr handle);
  std::string socket_path_;
  long timeout_ms_;
  std::mutex mutex_;
  std::vector<CurlPtr> idle_;
};

// Percent-encodes an id for a URL path segment.
std::string EscapePathSegment(std::string_view segment);
ErrorKind KindForStatus(long status);

}  // namespace edgesec::http

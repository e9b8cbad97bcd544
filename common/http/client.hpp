#pragma once
// HTTP/1.1 client over a Unix socket: the internal transport of edgectl, the services' clients and the
// SDK. Thread-safe and lean: a small pool of kept-alive connections (one per thread in use), a request
// written with one sendmsg() and an answer read with one recv() on the common path, parsed by
// Boost.Beast's parser (response_reader.hpp). A kept-alive connection the server has closed in the
// meantime is noticed before a request is sent on it and replaced; a request is never sent twice,
// except a GET whose connection closed between that check and the send.

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
  // `timeout_ms` bounds each call, from sending to the complete answer; 0 waits as long as it takes.
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
  struct Idle {
    int fd;
    unsigned fork_generation;  // a connection inherited across fork() is never reused
  };
  Expected<int> Connect() const;
  int TakeIdle();
  void GiveIdle(int fd);
  Expected<ClientResponse> Exchange(int fd, const std::string& head, const std::string* body,
                                    bool head_request, bool& retry);
  std::string socket_path_;
  long timeout_ms_;
  std::mutex mutex_;
  std::vector<Idle> idle_;
};

// Percent-encodes an id for a URL path segment.
std::string EscapePathSegment(std::string_view segment);
ErrorKind KindForStatus(long status);

}  // namespace edgesec::http

#pragma once
// Reads one HTTP/1.1 response from a connected stream socket, parsed by Boost.Beast's parser (no
// hand-written HTTP parser). Internal to common/http/client.cpp; kept apart so that only one
// translation unit includes Beast.

#include <chrono>
#include <string>

namespace edgesec::http::detail {

struct ReadResult {
  enum class Kind {
    kOk,
    kClosedBeforeAnswer,  // the peer closed (or reset) the connection before any byte of an answer
    kTimeout,             // no complete answer before the deadline
    kBroken,              // a malformed, oversized or cut answer; `why` says which
  };
  Kind kind = Kind::kBroken;
  long status = 0;
  std::string body;
  bool keep_alive = false;  // the connection may carry another request
  std::string why;
};

// `deadline` is ignored when `has_deadline` is false (wait as long as it takes). The socket's
// SO_RCVTIMEO, when set, bounds each single wait as well.
ReadResult ReadResponse(int fd, bool head_request, bool has_deadline,
                        std::chrono::steady_clock::time_point deadline);

}  // namespace edgesec::http::detail

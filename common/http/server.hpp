#pragma once
// HTTP/1.1 over an already-listening Unix socket, on libmicrohttpd (no hand-written parser).
// One thread per connection, so a slow operation or a slow client holds only its own connection.
// Limits (API.md, "Common rules"): header block, body size from Content-Length before reading, and
// a deadline for a complete request enforced by a reaper (MHD's own timeout is only an idle
// timeout, which a client trickling one byte at a time would never hit), and the connections one
// uid may hold at once (uid_limit.hpp).

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/http/uid_limit.hpp"

namespace edgesec::http {

struct Request {
  std::string method;
  // Percent-decoded, except that %2F and %25 stay escaped: the router splits the path into segments
  // first and decodes those two per segment, so that an encoded '/' never creates a segment.
  std::string path;
  std::map<std::string, std::string, std::less<>> query;
  std::string content_type;  // empty when absent
  std::string body;
  uid_t peer_uid = static_cast<uid_t>(-1);
  gid_t peer_gid = static_cast<gid_t>(-1);
  pid_t peer_pid = 0;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// The last step of decoding a path segment or a query value (Request::path): %2F → '/', %25 → '%'.
std::string DecodeSlashAndPercent(std::string_view text);

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 * 1024;
  unsigned request_timeout_seconds = 10;
  unsigned max_connections = 1024;  // all callers together
  // Per caller: a connection from a uid that already holds per_uid->max() is closed at once,
  // unanswered. Null: a limit of this server's own, kDefaultMaxRequestsPerUid. Shared, so that
  // the daemon can change it on reload.
  std::shared_ptr<UidLimit> per_uid;
};

class Server {
 public:
  // Serves `listen_fd` (bound and listening; the server takes ownership) until destroyed or Stop().
  static Expected<std::unique_ptr<Server>> Start(int listen_fd, Handler handler,
                                                 ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Stops accepting, finishes requests in flight, closes the socket. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgesec::http

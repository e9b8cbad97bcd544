#include "common/http/server.hpp"

#include <fcntl.h>
#include <microhttpd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <strings.h>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/log.hpp"

namespace edgesec::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Per TCP-like connection; lives from MHD_CONNECTION_NOTIFY_STARTED to ..._CLOSED.
struct Connection {
  int watch_fd = -1;  // our dup() of the socket: shutdown() on it can never hit a reused descriptor
  ucred cred{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
  bool counted = false;  // against its uid's limit (ServerOptions::per_uid): released when closed
  SteadyClock::time_point deadline;  // for a complete request; max() while a handler runs
  // Set by the unescape step when the current request's path or query decodes a %00; read and
  // cleared when its header block is complete (one request at a time per connection).
  const char* nul_in = nullptr;  // the string that held it
};

// Per HTTP request; lives from the first access-handler call to MHD_OPTION_NOTIFY_COMPLETED.
struct RequestState {
  std::string body;
  bool body_too_large = false;
};

}  // namespace

struct Server::Impl {
  Handler handler;
  ServerOptions options;
  MHD_Daemon* daemon = nullptr;
  int listen_fd = -1;
  std::string socket_name;  // the socket's path, for log lines

  std::mutex mutex;
  std::set<Connection*> connections;
  std::condition_variable reaper_cv;
  bool stopping = false;
  std::thread reaper;

  // Sleeps until the earliest deadline of an incomplete request; with none, it never wakes.
  void ReaperLoop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      auto now = SteadyClock::now(), next = SteadyClock::time_point::max();
      for (Connection* c : connections) {
        if (now >= c->deadline) {
          log::Debug("dropping a client that sent no complete request in time");
          if (c->watch_fd >= 0) ::shutdown(c->watch_fd, SHUT_RDWR);
          c->deadline = SteadyClock::time_point::max();
        } else {
          next = std::min(next, c->deadline);
        }
      }
      reaper_cv.wait_until(lock, next);  // max(): no timeout (the futex waits with no end)
    }
  }

  Connection* ConnectionOf(MHD_Connection* c) {
    const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? static_cast<Connection*>(info->socket_context) : nullptr;
  }

  void SetDeadline(Connection* conn, SteadyClock::time_point t) {
    if (conn == nullptr) return;
    std::lock_guard lock(mutex);
    conn->deadline = t;
    if (t != SteadyClock::time_point::max()) reaper_cv.notify_one();  // a deadline to arm
  }
  SteadyClock::time_point NextDeadline() const {
    return SteadyClock::now() + std::chrono::seconds(options.request_timeout_seconds);
  }
};

namespace {

MHD_Result Queue(MHD_Connection* c, const Response& r) {
  MHD_Response* resp = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (resp == nullptr) return MHD_NO;
  if (!r.body.empty() || r.status != 204)
    MHD_add_response_header(resp, "Content-Type", r.content_type.c_str());
  for (const auto& [k, v] : r.headers) MHD_add_response_header(resp, k.c_str(), v.c_str());
  MHD_Result ret = MHD_queue_response(c, static_cast<unsigned>(r.status), resp);
  MHD_destroy_response(resp);
  return ret;
}

Response Message(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.body = "{\"message\":\"" + message + "\"}";  // callers pass fixed ASCII text only
  return r;
}

MHD_Result SumHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  *static_cast<size_t*>(cls) += std::strlen(key) + (value ? std::strlen(value) : 0) + 4;
  return MHD_YES;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// MHD's unescape step (path and query): decodes %XX in place, except %2F and %25, which stay
// escaped (see Request::path). Without this, GET /keypair/a%2Fb would reach no route (404) instead
// of the route that rejects the id 'a/b' (400). A %00 stays escaped too and marks the request,
// which OnAccess refuses: decoded, it would cut the id short (GET /keypair/edge-ca%00zzz).
// MHD's URI log step sees the raw request target, which libmicrohttpd 0.9.75 ends at a raw NUL byte
// without saying so: the version ("HTTP/1.1") follows the first NUL only when the target held none.
void* MarkRawNul(void* cls, const char* uri, MHD_Connection* connection) {
  if (std::strncmp(uri + std::strlen(uri) + 1, "HTTP/", 5) != 0)
    if (Connection* conn = static_cast<Server::Impl*>(cls)->ConnectionOf(connection))
      conn->nul_in = uri;
  return nullptr;
}

size_t UnescapeKeepingSlash(void* cls, MHD_Connection* connection, char* s) {
  char* out = s;
  for (const char* in = s; *in != '\0';) {
    if (in[0] == '%' && HexValue(in[1]) >= 0 && HexValue(in[2]) >= 0) {
      char c = static_cast<char>(HexValue(in[1]) * 16 + HexValue(in[2]));
      if (c == '\0') {
        if (Connection* conn = static_cast<Server::Impl*>(cls)->ConnectionOf(connection))
          conn->nul_in = s;
      } else if (c != '/' && c != '%') {
        *out++ = c;
        in += 3;
        continue;
      }
    }
    *out++ = *in++;
  }
  *out = '\0';
  return static_cast<size_t>(out - s);
}

// Header values with a NUL byte (libmicrohttpd keeps their full length) and Content-Length
// headers that disagree; a request with either is refused before any route runs.
struct HeaderCheck {
  bool nul = false;
  std::set<std::string> content_lengths;
};

MHD_Result CheckHeader(void* cls, MHD_ValueKind, const char* key, size_t key_size,
                       const char* value, size_t value_size) {
  auto* check = static_cast<HeaderCheck*>(cls);
  if (std::strlen(key) != key_size || (value && std::strlen(value) != value_size)) check->nul = true;
  if (value && strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
    check->content_lengths.emplace(value, value_size);
  return MHD_YES;
}

// The first look at a request whose header block is complete: a refusal, or nothing.
std::optional<Response> RefuseHeaderBlock(Server::Impl& impl, MHD_Connection* c, const char* url,
                                          const char* method) {
  if (Connection* conn = impl.ConnectionOf(c); conn != nullptr && conn->nul_in != nullptr) {
    bool in_path = conn->nul_in == url;
    conn->nul_in = nullptr;
    return Message(400, in_path ? "the request path contains a NUL byte"
                                : "the request query contains a NUL byte");
  }
  size_t header_bytes = std::strlen(url) + std::strlen(method) + 12;
  MHD_get_connection_values(c, MHD_HEADER_KIND, SumHeader, &header_bytes);
  if (header_bytes > impl.options.max_header_bytes)
    return Message(431, "request header block is too large");
  HeaderCheck check;
  MHD_get_connection_values_n(c, MHD_HEADER_KIND, CheckHeader, &check);
  if (check.nul) return Message(400, "a request header contains a NUL byte");
  if (check.content_lengths.size() > 1)
    return Message(400, "the request has Content-Length headers that disagree");
  if (!check.content_lengths.empty()) {
    const std::string& cl = *check.content_lengths.begin();
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(cl.c_str(), &end, 10);
    if (errno != 0 || end == cl.c_str() || n > impl.options.max_body_bytes)
      return Message(413, "request body is too large");
  }
  return std::nullopt;
}

MHD_Result CollectQuery(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<Request*>(cls)->query.emplace(DecodeSlashAndPercent(key),
                                            DecodeSlashAndPercent(value ? value : ""));
  return MHD_YES;
}

MHD_Result OnAccess(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                    const char* upload_data, size_t* upload_data_size, void** req_cls) {
  auto* impl = static_cast<Server::Impl*>(cls);
  if (*req_cls == nullptr) {
    // First call: the header block is complete.
    auto* state = new RequestState;
    *req_cls = state;
    if (auto refusal = RefuseHeaderBlock(*impl, c, url, method)) return Queue(c, *refusal);
    return MHD_YES;
  }
  auto* state = static_cast<RequestState*>(*req_cls);
  if (*upload_data_size != 0) {
    // Chunked bodies have no Content-Length: cap them as they arrive.
    if (state->body.size() + *upload_data_size > impl->options.max_body_bytes) {
      state->body_too_large = true;
      state->body.clear();
    } else if (!state->body_too_large) {
      state->body.append(upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (state->body_too_large) return Queue(c, Message(413, "request body is too large"));

  Connection* conn = impl->ConnectionOf(c);
  // A complete request: a slow operation from here on is not the client's fault.
  impl->SetDeadline(conn, SteadyClock::time_point::max());
  Request req;
  req.method = method;
  req.path = url;
  req.body = std::move(state->body);
  if (const char* ct =
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))
    req.content_type = ct;
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, CollectQuery, &req);
  if (conn != nullptr) {
    req.peer_uid = conn->cred.uid;
    req.peer_gid = conn->cred.gid;
    req.peer_pid = conn->cred.pid;
  }
  Response resp;
  try {
    resp = impl->handler(req);
  } catch (const std::exception& e) {
    log::Error(std::string("request handler threw: ") + e.what());
    resp = Message(500, "internal error");
  }
  return Queue(c, resp);
}

void OnCompleted(void* cls, MHD_Connection* c, void** req_cls, MHD_RequestTerminationCode) {
  auto* impl = static_cast<Server::Impl*>(cls);
  delete static_cast<RequestState*>(*req_cls);
  *req_cls = nullptr;
  if (Connection* conn = impl->ConnectionOf(c)) conn->nul_in = nullptr;
  // Keep-alive: the next request must arrive complete within the same deadline.
  impl->SetDeadline(impl->ConnectionOf(c), impl->NextDeadline());
}

void OnConnection(void* cls, MHD_Connection* c, void** socket_context,
                  MHD_ConnectionNotificationCode code) {
  auto* impl = static_cast<Server::Impl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    auto* conn = new Connection;
    conn->deadline = impl->NextDeadline();
    if (const MHD_ConnectionInfo* info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) {
      socklen_t len = sizeof conn->cred;
      if (::getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &conn->cred, &len) != 0)
        conn->cred.uid = static_cast<uid_t>(-1);  // unknown caller: authorized as nobody
      conn->watch_fd = ::fcntl(info->connect_fd, F_DUPFD_CLOEXEC, 0);
      // Over its uid's limit: accepted and closed at once. The connection's thread reads EOF
      // and ends; NOTIFY_CLOSED follows as for any connection.
      conn->counted = impl->options.per_uid->Admit(conn->cred.uid, impl->socket_name);
      if (!conn->counted) ::shutdown(info->connect_fd, SHUT_RDWR);
    }
    *socket_context = conn;
    std::lock_guard lock(impl->mutex);
    impl->connections.insert(conn);
    impl->reaper_cv.notify_one();  // its deadline for a complete request
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    auto* conn = static_cast<Connection*>(*socket_context);
    if (conn == nullptr) return;
    {
      std::lock_guard lock(impl->mutex);
      impl->connections.erase(conn);
    }
    if (conn->counted) impl->options.per_uid->Release(conn->cred.uid);
    if (conn->watch_fd >= 0) ::close(conn->watch_fd);
    delete conn;
    *socket_context = nullptr;
  }
}

void OnMhdLog(void*, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  log::Debug("libmicrohttpd: " + line);
}

void RaiseFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::string SocketName(int listen_fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      addr.sun_family != AF_UNIX || addr.sun_path[0] == '\0')
    return "fd " + std::to_string(listen_fd);
  return std::string(addr.sun_path, strnlen(addr.sun_path, sizeof addr.sun_path));
}

}  // namespace

std::string DecodeSlashAndPercent(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      std::string_view code = text.substr(i + 1, 2);
      if (code == "2F" || code == "2f") {
        out += '/';
        i += 2;
        continue;
      }
      if (code == "25") {
        out += '%';
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Expected<std::unique_ptr<Server>> Server::Start(int listen_fd, Handler handler,
                                                ServerOptions options) {
  RaiseFileLimit();
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  impl->options = options;
  if (!impl->options.per_uid) impl->options.per_uid = std::make_shared<UidLimit>();
  impl->listen_fd = listen_fd;
  impl->socket_name = SocketName(listen_fd);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                   MHD_USE_ERROR_LOG;
  impl->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &OnAccess, impl.get(), MHD_OPTION_LISTEN_SOCKET, listen_fd,
      MHD_OPTION_CONNECTION_LIMIT, options.max_connections,
      // Room for the header block limit plus MHD's own buffers; larger blocks get MHD's own 4xx.
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(options.max_header_bytes * 4),
      MHD_OPTION_CONNECTION_TIMEOUT, options.request_timeout_seconds, MHD_OPTION_NOTIFY_COMPLETED,
      &OnCompleted, impl.get(), MHD_OPTION_NOTIFY_CONNECTION, &OnConnection, impl.get(),
      MHD_OPTION_THREAD_STACK_SIZE, static_cast<size_t>(256 * 1024), MHD_OPTION_EXTERNAL_LOGGER,
      &OnMhdLog, nullptr, MHD_OPTION_UNESCAPE_CALLBACK, &UnescapeKeepingSlash, impl.get(),
      MHD_OPTION_URI_LOG_CALLBACK, &MarkRawNul, impl.get(), MHD_OPTION_END);
  if (impl->daemon == nullptr)
    return Internal("cannot start the HTTP server (libmicrohttpd refused)");
  impl->reaper = std::thread([p = impl.get()] { p->ReaperLoop(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::Stop() {
  if (impl_->daemon == nullptr) return;
  MHD_stop_daemon(impl_->daemon);  // joins connection threads and closes the listening socket
  impl_->daemon = nullptr;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->reaper_cv.notify_all();
  if (impl_->reaper.joinable()) impl_->reaper.join();
}

Server::~Server() {
  Stop();
}

}  // namespace edgesec::http

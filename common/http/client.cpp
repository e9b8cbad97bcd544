#include "common/http/client.hpp"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include "common/http/response_reader.hpp"

namespace edgesec::http {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxIdleConnections = 16;

// Bumped in a child after fork(): connections pooled before it are shared with the parent.
std::atomic<unsigned> g_fork_generation{0};

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); });
  });
}

std::string Seconds(long timeout_ms) { return std::to_string((timeout_ms + 999) / 1000); }

// Only a socket that is not there or refuses the connection is "cannot reach": a request that was
// sent and got no (complete) answer says so, with the time waited.
Error CannotReach(const std::string& socket, std::string detail) {
  return MakeError(ErrorKind::kUnavailable, "cannot reach '" + socket + "'", std::move(detail));
}
Error NoAnswer(const std::string& socket, long timeout_ms) {
  return MakeError(ErrorKind::kUnavailable,
                   "no answer from '" + socket + "' within " + Seconds(timeout_ms) + " s")
      .WithReason(ErrorReason::kNoAnswer);
}
Error Broken(const std::string& socket, std::string detail) {
  return MakeError(ErrorKind::kUnavailable,
                   "the connection to '" + socket + "' failed before an answer", std::move(detail));
}

// A request line must stay one line: a space or a control byte would let a caller's text become
// a header or a second request.
bool SafeTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') return false;
  for (unsigned char c : target)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

void SetTimeout(int fd, long timeout_ms) {
  if (timeout_ms <= 0) return;
  timeval tv{timeout_ms / 1000, static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Writes the head and the body with as few system calls as the kernel allows (one, normally).
// 0 on success, else the errno.
int SendAll(int fd, const std::string& head, const std::string* body) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {body ? const_cast<char*>(body->data()) : nullptr, body ? body->size() : 0}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body && !body->empty() ? 2 : 1;
  while (msg.msg_iovlen > 0) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    auto left = static_cast<size_t>(n);
    while (msg.msg_iovlen > 0 && left >= msg.msg_iov[0].iov_len) {
      left -= msg.msg_iov[0].iov_len;
      ++msg.msg_iov;
      --msg.msg_iovlen;
    }
    if (msg.msg_iovlen > 0) {
      msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + left;
      msg.msg_iov[0].iov_len -= left;
    }
  }
  return 0;
}

std::string RequestHead(std::string_view method, std::string_view target, const std::string* body) {
  std::string head;
  head.reserve(96 + method.size() + target.size());
  head.append(method).append(" ").append(target).append(
      " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n");
  if (body != nullptr)
    head.append("Content-Length: ").append(std::to_string(body->size())).append("\r\n");
  else if (method == "POST" || method == "PUT" || method == "PATCH")
    head.append("Content-Length: 0\r\n");
  head.append("\r\n");
  return head;
}

}  // namespace

ErrorKind KindForStatus(long status) {
  switch (status) {
    case 400:
      return ErrorKind::kInvalidParameter;
    case 401:
    case 403:
      return ErrorKind::kUnauthorized;
    case 404:
      return ErrorKind::kNotFound;
    case 415:
      return ErrorKind::kUnsupportedMediaType;
    case 422:
      return ErrorKind::kUnprocessable;
    case 503:
      return ErrorKind::kUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

std::string EscapePathSegment(std::string_view segment) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

UnixClient::UnixClient(std::string socket_path, long timeout_ms)
    : socket_path_(std::move(socket_path)), timeout_ms_(timeout_ms) {
  GlobalInit();
}

UnixClient::~UnixClient() {
  for (const Idle& idle : idle_) ::close(idle.fd);
}

Expected<int> UnixClient::Connect() const {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof addr.sun_path)
    return CannotReach(socket_path_, "the path is longer than " +
                                         std::to_string(sizeof addr.sun_path - 1) + " bytes");
  std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return CannotReach(socket_path_, std::strerror(errno));
  SetTimeout(fd, timeout_ms_);  // also bounds a connect() to a socket whose queue is full
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int saved = errno;
    ::close(fd);
    if (saved == EAGAIN || saved == EINPROGRESS)
      return CannotReach(socket_path_, "its queue of connections stayed full for " +
                                           Seconds(timeout_ms_) + " s");
    return CannotReach(socket_path_, std::strerror(saved));
  }
  return fd;
}

namespace {
// A kept connection the server has closed meanwhile (its idle timeout) reads as EOF or an error
// without waiting: it is dropped before a request is sent on it. Only a close in the microseconds
// between this check and the send remains (see Send).
bool StillOpen(int fd) {
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

int UnixClient::TakeIdle() {
  std::lock_guard lock(mutex_);
  unsigned generation = g_fork_generation.load(std::memory_order_relaxed);
  while (!idle_.empty()) {
    Idle idle = idle_.back();
    idle_.pop_back();
    if (idle.fork_generation == generation && StillOpen(idle.fd)) return idle.fd;
    ::close(idle.fd);  // closed by the server, or our copy only (the other process keeps its own)
  }
  return -1;
}

void UnixClient::GiveIdle(int fd) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdleConnections) {
    idle_.push_back({fd, g_fork_generation.load(std::memory_order_relaxed)});
    return;
  }
  ::close(fd);
}

// One request on one connection. `retry` is set when a kept-alive connection turned out closed by
// the server before it answered: the caller repeats the request once on a new connection.
Expected<ClientResponse> UnixClient::Exchange(int fd, const std::string& head,
                                              const std::string* body, bool head_request,
                                              bool& retry) {
  retry = false;
  bool has_deadline = timeout_ms_ > 0;
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(has_deadline ? timeout_ms_ : 0);
  if (int err = SendAll(fd, head, body); err != 0) {
    ::close(fd);
    if (err == EPIPE || err == ECONNRESET) {
      retry = true;
      return Broken(socket_path_, "closed by the server");
    }
    if (err == EAGAIN || err == EWOULDBLOCK) return NoAnswer(socket_path_, timeout_ms_);
    return Broken(socket_path_, std::strerror(err));
  }
  detail::ReadResult r = detail::ReadResponse(fd, head_request, has_deadline, deadline);
  switch (r.kind) {
    case detail::ReadResult::Kind::kOk:
      if (r.keep_alive)
        GiveIdle(fd);
      else
        ::close(fd);
      return ClientResponse{r.status, std::move(r.body)};
    case detail::ReadResult::Kind::kClosedBeforeAnswer:
      ::close(fd);
      retry = true;
      return Broken(socket_path_, "closed without an answer");
    case detail::ReadResult::Kind::kTimeout:
      ::close(fd);
      return NoAnswer(socket_path_, timeout_ms_);
    case detail::ReadResult::Kind::kBroken:
      break;
  }
  ::close(fd);
  return Broken(socket_path_, "a malformed answer: " + r.why);
}

Expected<ClientResponse> UnixClient::Send(std::string_view method, std::string_view path_and_query,
                                          const std::string* body) {
  if (!SafeTarget(path_and_query))
    return InvalidParameter("the request path must start with '/' and hold no space or control "
                            "character");
  const std::string head = RequestHead(method, path_and_query, body);
  const bool head_request = method == "HEAD";
  int fd = TakeIdle();
  if (fd >= 0) {
    bool retry = false;
    auto answer = Exchange(fd, head, body, head_request, retry);
    // Closed under our feet after the check: a read is repeated on a new connection; anything
    // else may have been done, and is reported rather than done twice.
    if (answer || !retry || !(method == "GET" || head_request)) return answer;
  }
  EDGESEC_ASSIGN_OR_RETURN(int fresh, Connect());
  bool retry = false;
  return Exchange(fresh, head, body, head_request, retry);
}

Expected<Json> UnixClient::CallJson(std::string_view method, std::string_view path_and_query,
                                    const std::optional<Json>& body) {
  std::string text;
  if (body) text = DumpJson(*body);
  EDGESEC_ASSIGN_OR_RETURN(ClientResponse resp,
                           Send(method, path_and_query, body ? &text : nullptr));
  Json parsed = resp.body.empty() ? Json::object()
                                  : Json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (resp.status >= 200 && resp.status < 300) {
    if (parsed.is_discarded())
      return Internal("server answered " + std::to_string(resp.status) + " with invalid JSON");
    return parsed;
  }
  std::string message;
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("message") &&
      parsed["message"].is_string())
    message = parsed["message"].get<std::string>();
  else
    message = "HTTP " + std::to_string(resp.status);
  Error error = MakeError(KindForStatus(resp.status), message);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("reason") &&
      parsed["reason"].is_string())
    error.reason = ParseReason(parsed["reason"].get<std::string>());
  return error;
}

}  // namespace edgesec::http

#include "common/http/response_reader.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <cstring>

namespace edgesec::http::detail {
namespace {

namespace bhttp = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 64u << 20;  // a broken server cannot exhaust the caller's memory
constexpr size_t kChunkBytes = 16 * 1024;

ReadResult Fail(ReadResult::Kind kind, std::string why = {}) {
  ReadResult r;
  r.kind = kind;
  r.why = std::move(why);
  return r;
}

// Waits until `fd` is readable or the deadline passes. Used only for the second and later reads of
// one answer: the first read blocks in recv() itself (one system call on the common path).
bool WaitReadable(int fd, bool has_deadline, SteadyClock::time_point deadline) {
  for (;;) {
    int ms = -1;
    if (has_deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      ms = static_cast<int>(std::min<long long>(left.count(), 1LL << 30));
    }
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return true;  // let recv() report the error
  }
}

// Feeds `data` to the parser until it is consumed, the parser needs more, or the answer is
// complete. Returns the bytes consumed, or an error text.
bool Feed(bhttp::response_parser<bhttp::string_body>& parser, const char* data, size_t size,
          size_t& consumed, std::string& why) {
  consumed = 0;
  while (consumed < size && !parser.is_done()) {
    boost::beast::error_code ec;
    size_t n = parser.put(boost::asio::const_buffer(data + consumed, size - consumed), ec);
    consumed += n;
    if (ec == bhttp::error::need_more) return true;
    if (ec) {
      why = ec.message();
      return false;
    }
    if (n == 0) return true;
  }
  return true;
}

}  // namespace

ReadResult ReadResponse(int fd, bool head_request, bool has_deadline,
                        SteadyClock::time_point deadline) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxBodyBytes);
  parser.eager(true);
  if (head_request) parser.skip(true);
  std::string pending;  // received, not yet consumed by the parser (a token cut between reads)
  char chunk[kChunkBytes];
  bool received_any = false;
  while (!parser.is_done()) {
    if (received_any && !WaitReadable(fd, has_deadline, deadline))
      return Fail(ReadResult::Kind::kTimeout);
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Fail(ReadResult::Kind::kTimeout);
      if (errno == ECONNRESET && !received_any) return Fail(ReadResult::Kind::kClosedBeforeAnswer);
      return Fail(ReadResult::Kind::kBroken, std::strerror(errno));
    }
    if (n == 0) {
      if (!received_any) return Fail(ReadResult::Kind::kClosedBeforeAnswer);
      boost::beast::error_code ec;
      parser.put_eof(ec);
      if (ec) return Fail(ReadResult::Kind::kBroken, "the answer was cut short (" + ec.message() + ")");
      break;
    }
    received_any = true;
    if (has_deadline && SteadyClock::now() > deadline) return Fail(ReadResult::Kind::kTimeout);
    size_t consumed = 0;
    std::string why;
    if (pending.empty()) {
      if (!Feed(parser, chunk, static_cast<size_t>(n), consumed, why))
        return Fail(ReadResult::Kind::kBroken, why);
      pending.assign(chunk + consumed, static_cast<size_t>(n) - consumed);
    } else {
      pending.append(chunk, static_cast<size_t>(n));
      if (!Feed(parser, pending.data(), pending.size(), consumed, why))
        return Fail(ReadResult::Kind::kBroken, why);
      pending.erase(0, consumed);
    }
    if (pending.size() > kMaxHeaderBytes)
      return Fail(ReadResult::Kind::kBroken, "an unparsable run of " + std::to_string(pending.size()) +
                                                 " bytes");
  }
  ReadResult r;
  r.kind = ReadResult::Kind::kOk;
  r.status = parser.get().result_int();
  // Bytes after the answer (nothing was asked for them) or an answer ended by closing the
  // connection: that connection carries no further request.
  r.keep_alive = parser.get().keep_alive() && !parser.need_eof() && pending.empty();
  r.body = std::move(parser.get().body());
  return r;
}

}  // namespace edgesec::http::detail

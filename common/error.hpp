#pragma once
// One error type for the whole project, and Expected<T> (GCC 12 has no std::expected).
// Errors are classified by who must act; the HTTP mapping lives in http/router.cpp alone.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgesec {

enum class ErrorKind {
  kInvalidParameter,      // the caller sent something wrong            -> 400
  kUnauthorized,          // the caller may not do this                 -> 401 (403 on workload)
  kNotFound,              // the named thing does not exist             -> 404
  kUnsupportedMediaType,  // request body is not JSON                   -> 415
  kUnprocessable,         // body is not parsable JSON                  -> 422
  kUnavailable,           // try again later                            -> 503
  kConfig,                // configuration is wrong (file:line:col)
  kIo,                    // the filesystem or a socket failed
  kCrypto,                // OpenSSL refused (queue drained into detail)
  kInternal,              // a bug or an unexpected state               -> 500
};

// Why, where the kind is not enough for a caller's decision (a decision never tests the message).
// It travels on the wire as "reason" in the error body, an edgesec addition that the peer's
// clients ignore; ReasonName/ParseReason are that mapping.
enum class ErrorReason {
  kNone,
  kIssuerExpired,         // the issuing certificate has expired: renew it, then retry
  kNotIssuedYet,          // the credential exists but has no certificate yet
  kUnsupportedMechanism,  // the key cannot do this signature mechanism (an engine's refusal)
  kNoAnswer,  // a request was sent and no answer came within the client's timeout (it may still run)
};
const char* ReasonName(ErrorReason reason);      // "" for kNone
ErrorReason ParseReason(std::string_view name);  // kNone for anything unknown

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;  // safe for the wire and the log: never holds a secret
  std::string detail;   // log-only cause chain (OpenSSL queue, errno text)
  ErrorReason reason = ErrorReason::kNone;

  Error WithReason(ErrorReason r) && {
    reason = r;
    return std::move(*this);
  }

  // Prefixes context ("loading key 'x': ") to the message, keeping the kind.
  Error Context(const std::string& what) const& {
    Error e = *this;
    e.message = what + ": " + message;
    return e;
  }
  std::string Describe() const { return detail.empty() ? message : message + " (" + detail + ")"; }
};

inline Error MakeError(ErrorKind kind, std::string message, std::string detail = {}) {
  return Error{kind, std::move(message), std::move(detail)};
}
inline Error InvalidParameter(std::string m) {
  return MakeError(ErrorKind::kInvalidParameter, std::move(m));
}
inline Error NotFound(std::string m) {
  return MakeError(ErrorKind::kNotFound, std::move(m));
}
inline Error Internal(std::string m, std::string d = {}) {
  return MakeError(ErrorKind::kInternal, std::move(m), std::move(d));
}
// errno text goes to detail.
Error IoError(std::string message, int err);

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Expected(Error error) : v_(std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }
  Error& error() {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  Error& error() {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Expected<void>;

}  // namespace edgesec

// Propagates an error from an Expected-returning expression; evaluates to nothing.
#define EDGESEC_TRY(expr)                           \
  do {                                              \
    auto&& edgesec_try_ = (expr);                   \
    if (!edgesec_try_) return edgesec_try_.error(); \
  } while (0)

#define EDGESEC_CONCAT_INNER(a, b) a##b
#define EDGESEC_CONCAT(a, b) EDGESEC_CONCAT_INNER(a, b)
// Declares `lhs` from an Expected-returning expression, or returns its error.
#define EDGESEC_ASSIGN_OR_RETURN(lhs, expr) \
  EDGESEC_ASSIGN_OR_RETURN_IMPL(EDGESEC_CONCAT(edgesec_tmp_, __LINE__), lhs, expr)
#define EDGESEC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp) return std::move(tmp.error());            \
  lhs = std::move(*tmp)

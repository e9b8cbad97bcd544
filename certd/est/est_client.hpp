#pragma once
// An EST client (RFC 7030 with RFC 8951) on libcurl: /cacerts, /simpleenroll, /simplereenroll,
// /csrattrs, /serverkeygen under <base>/.well-known/est[/<label>]/.
//
// Trust: only the configured trust anchors (`trusted_certs`); hostname verification always on;
// TLS 1.2 and 1.3. Authentication: HTTP Basic when a username is set, and a TLS client identity
// (chain + any EVP_PKEY, e.g. keyd-backed) when one is set. Every request runs on a fresh curl
// handle with connection reuse and the TLS session cache off, so a changed client identity never
// rides on an earlier connection or session.
//
// Errors: IsRetryable() tells whether trying later may help. Retryable (kUnavailable): 5xx,
// timeouts, connection drops, 202 beyond the polling bound. Final: 401/403 (kUnauthorized), other
// 4xx (kInvalidParameter), TLS trust failures (kUnauthorized), undecodable bodies (kUnprocessable).
// The message carries the HTTP status and the server's own text.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "certd/est/csr.hpp"
#include "certd/est/decode.hpp"
#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"

namespace edgesec::certd::est {

struct ClientIdentity {
  std::vector<X509Ptr> chain;  // leaf first
  EvpPkeyPtr key;              // may be keyd-backed (keyd::LoadRemoteKey)
};

struct EstConfig {
  std::string base_url;  // https://est.example:8443 (the /.well-known/est part is added)
  std::string label;     // optional CA label
  std::vector<std::string> trusted_certs;  // PEM files: the only trust anchors
  std::string username;                    // HTTP Basic when non-empty
  Secret password;
  std::string password_file;                     // read at each request when `password` is empty
  std::chrono::seconds max_total_wait{30 * 60};  // 202 polling bound
  std::chrono::seconds default_retry_after{30};  // 202 without a usable Retry-After
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds request_timeout{60};
  // Injected so that tests need not wait; default: std::this_thread::sleep_for.
  std::function<void(std::chrono::seconds)> sleep;
};

struct EnrollResult {
  X509Ptr cert;
  std::vector<X509Ptr> chain;        // the rest as returned, ordered towards the root; may be empty
  bool subject_as_requested = true;  // false: the server changed the subject (allowed by RFC 7030)
};

bool IsRetryable(const Error& e);

class EstClient {
 public:
  // kInvalidParameter for a bad URL, kIo / kCrypto for unreadable or invalid trust anchors.
  static Expected<EstClient> Create(EstConfig config);

  // The TLS client identity for the following requests (nullopt: none). Takes effect on the next
  // request, over a new connection.
  void SetIdentity(std::optional<ClientIdentity> identity);

  Expected<std::vector<X509Ptr>> CaCerts();  // ordered leaf→root
  Expected<CsrAttrs> CsrAttributes();        // 404/204: no attributes
  Expected<EnrollResult> SimpleEnroll(X509_REQ* csr);
  Expected<EnrollResult> SimpleReenroll(X509_REQ* csr);
  Expected<ServerKeygenResult> ServerKeygen(X509_REQ* csr);

  int last_status() const { return last_status_; }
  std::string Url(const std::string& operation) const;
  // HTTP Basic is sent: a username configured or given in the URL's userinfo.
  bool HasBasic() const { return !config_.username.empty(); }

  EstClient(EstClient&&) = default;
  EstClient& operator=(EstClient&&) = default;

 private:
  struct Response {
    long status = 0;
    std::string content_type, body, retry_after, www_authenticate;
  };
  explicit EstClient(EstConfig config) : config_(std::move(config)) {}
  Expected<Response> Perform(const std::string& operation, const std::string* body);
  Expected<Response> PerformPolling(const std::string& operation, const std::string* body);
  Expected<EnrollResult> Enroll(const std::string& operation, X509_REQ* csr);

  EstConfig config_;
  std::vector<X509Ptr> anchors_;
  std::optional<ClientIdentity> identity_;
  int last_status_ = 0;
};

// Parses Retry-After: delta-seconds or an HTTP-date (relative to `now`); nullopt when neither.
std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value, time_t now);

}  // namespace edgesec::certd::est

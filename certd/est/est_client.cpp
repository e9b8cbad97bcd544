#include "certd/est/est_client.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

#include "certd/est/est_metrics.hpp"
#include "certd/est/server_error.hpp"
#include "common/fs.hpp"
#include "common/url.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::certd::est {
namespace {

constexpr size_t kMaxBody = 1 << 20;

struct TlsSetup {
  const std::vector<X509Ptr>* anchors;
  const ClientIdentity* identity;
};

// Runs after libcurl has set up its SSL_CTX: replaces the trust store by the configured anchors (so
// no system CA is ever trusted) and installs the client identity, whatever engine holds its key.
CURLcode SslCtxCallback(CURL*, void* ctx_ptr, void* user) {
  auto* ctx = static_cast<SSL_CTX*>(ctx_ptr);
  auto* setup = static_cast<TlsSetup*>(user);
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return CURLE_OUT_OF_MEMORY;
  for (const X509Ptr& a : *setup->anchors) X509_STORE_add_cert(store, a.get());
  SSL_CTX_set_cert_store(ctx, store);  // takes ownership
  if (setup->identity != nullptr && !setup->identity->chain.empty()) {
    const auto& chain = setup->identity->chain;
    if (SSL_CTX_use_certificate(ctx, chain[0].get()) != 1) return CURLE_SSL_CERTPROBLEM;
    for (size_t i = 1; i < chain.size(); ++i)
      if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) return CURLE_SSL_CERTPROBLEM;
    if (SSL_CTX_use_PrivateKey(ctx, setup->identity->key.get()) != 1) return CURLE_SSL_CERTPROBLEM;
  }
  return CURLE_OK;
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxBody) return 0;  // aborts the transfer
  body->append(data, size * n);
  return size * n;
}

std::string Header(CURL* h, const char* name) {
  struct curl_header* hdr = nullptr;
  if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK || hdr == nullptr)
    return {};
  return hdr->value;
}

// The server's own words, printable and short, for the error message.
std::string ServerText(const std::string& body) {
  std::string out;
  for (char c : body) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    out += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The trust anchors as a message names them: the configured files (the system store is never used).
std::string AnchorsText(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) out += (out.empty() ? "'" : ", '") + f + "'";
  return "trust anchors: " + out + " (trusted_certs; the system store is not used)";
}

// A failed TLS verification, told apart: the chain did not verify against the anchors (OpenSSL's
// reason), or the chain did and the certificate is not for the host of the URL.
Error TrustError(long verify, const char* errbuf, const std::string& url,
                 const std::vector<std::string>& anchors) {
  std::string what = "EST request to '" + url + "' failed: ";
  // An untrusted chain fails the handshake with OpenSSL's own code; libcurl's host name check runs
  // after a verified handshake and leaves "unspecified" (1) or "application verification" (50).
  if (verify != X509_V_OK && verify != X509_V_ERR_UNSPECIFIED &&
      verify != X509_V_ERR_APPLICATION_VERIFICATION)
    return MakeError(ErrorKind::kUnauthorized,
                     what + "the server's certificate chain is not trusted: " +
                         X509_verify_cert_error_string(verify) + " (verify error " +
                         std::to_string(verify) + "); " + AnchorsText(anchors),
                     errbuf);
  return MakeError(ErrorKind::kUnauthorized,
                   what + "the server's certificate is not for this host name (" +
                       std::string(errbuf) + "); its chain is trusted by the " +
                       AnchorsText(anchors));
}

Error TransportError(CURLcode rc, const char* errbuf, const std::string& url) {
  std::string what = "EST request to '" + url + "' failed: " + curl_easy_strerror(rc);
  std::string detail = errbuf;
  switch (rc) {
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return MakeError(ErrorKind::kUnauthorized,
                       what + " (server certificate not trusted or not for this host)", detail);
    case CURLE_SSL_CERTPROBLEM:
      return MakeError(ErrorKind::kCrypto, what + " (client identity refused by OpenSSL)", detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return MakeError(ErrorKind::kInvalidParameter, what, detail);
    default:  // timeouts, refused or dropped connections, handshake failures: may pass
      return MakeError(ErrorKind::kUnavailable, what, detail);
  }
}

Error StatusError(long status, const std::string& body, const std::string& challenge,
                  const std::string& url) {
  std::string text = ServerText(body);
  std::string what = "EST server answered HTTP " + std::to_string(status) + " to '" + url + "'" +
                     (text.empty() ? "" : ": " + text);
  if (status == 401 || status == 403) {
    what += challenge.empty() ? " (no challenge)" : " (challenge '" + ServerText(challenge) + "')";
    return MakeError(ErrorKind::kUnauthorized, what);
  }
  if (status == 404) return MakeError(ErrorKind::kNotFound, what);
  if (auto err = JsonErrText(body); err && status == 500) {
    // A service error in words (Lamassu: every error, auth failures too): permanent-looking,
    // unless it says "not yet".
    what = "EST server answered HTTP 500 to '" + url + "': " + *err;
    bool later = IsReenrollWindowClosed(MakeError(ErrorKind::kUnavailable, what));
    return MakeError(later ? ErrorKind::kUnavailable : ErrorKind::kInvalidParameter, what);
  }
  if (status >= 500) return MakeError(ErrorKind::kUnavailable, what);
  return MakeError(ErrorKind::kInvalidParameter, what);
}

Expected<std::vector<X509Ptr>> ReadAnchors(const std::string& path) {
  auto text = fs::ReadFile(path);
  if (!text) return text.error().Context("reading trusted cert file '" + path + "'");
  auto certs = edgesec::x509::ParsePemChain(*text);
  if (!certs) return InvalidParameter("trusted cert file '" + path + "' holds no PEM certificate");
  return std::move(*certs);
}

}  // namespace

bool IsRetryable(const Error& e) {
  return e.kind == ErrorKind::kUnavailable;
}

std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value, time_t now) {
  std::string v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(0, 1);
  if (v.empty()) return std::nullopt;
  if (v.find_first_not_of("0123456789") == std::string::npos) {
    if (v.size() > 9) return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::stol(v));
  }
  time_t when = curl_getdate(v.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  return std::chrono::seconds(when > now ? when - now : 0);
}

Expected<EstClient> EstClient::Create(EstConfig config) {
  if (config.base_url.rfind("https://", 0) != 0 && config.base_url.rfind("http://", 0) != 0)
    return InvalidParameter("EST URL '" + RedactUrl(config.base_url) +
                            "' is not https:// (or http://)");
  // user:password@ in the URL (as IoT Edge accepts it): HTTP Basic unless a username is configured;
  // never part of the URL given to curl or printed in a message.
  UrlUserinfo userinfo = SplitUserinfo(config.base_url);
  config.base_url = userinfo.url;
  if (userinfo.present && config.username.empty()) {
    config.username = userinfo.username;
    if (userinfo.password && config.password.empty() && config.password_file.empty())
      config.password = Secret::FromString(*userinfo.password);
  }
  if (userinfo.password) OPENSSL_cleanse(userinfo.password->data(), userinfo.password->size());
  if (config.trusted_certs.empty())
    return InvalidParameter("EST needs trusted_certs (explicit trust anchors)");
  if (config.label.find_first_of("/?#") != std::string::npos)
    return InvalidParameter("EST CA label '" + config.label + "' is not a path segment");
  if (!config.sleep) config.sleep = [](std::chrono::seconds s) { std::this_thread::sleep_for(s); };
  EstClient client(std::move(config));
  for (const auto& path : client.config_.trusted_certs) {
    EDGESEC_ASSIGN_OR_RETURN(auto certs, ReadAnchors(path));
    for (auto& c : certs) client.anchors_.push_back(std::move(c));
  }
  return client;
}

void EstClient::SetIdentity(std::optional<ClientIdentity> identity) {
  identity_ = std::move(identity);
}

std::string EstClient::Url(const std::string& operation) const {
  std::string base = config_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/est" + (config_.label.empty() ? "" : "/" + config_.label) + "/" +
         operation;
}

Expected<EstClient::Response> EstClient::Perform(const std::string& operation,
                                                 const std::string* body) {
  const std::string url = Url(operation);
  // A fresh handle per request, no reuse, no session cache: the client identity may have changed.
  CurlPtr h(curl_easy_init());
  if (!h) return Internal("curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {};
  Response r;
  TlsSetup setup{&anchors_, identity_ ? &*identity_ : nullptr};
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  // Only the scheme configured: an https:// server is never reached over plain http.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
                   config_.base_url.rfind("http://", 0) == 0 ? "http" : "https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(
      c, CURLOPT_SSLVERSION,
      static_cast<long>(CURL_SSLVERSION_TLSv1_2) | static_cast<long>(CURL_SSLVERSION_MAX_DEFAULT));
  // The trust anchors are only the configured ones (SslCtxCallback replaces the store): curl must not
  // load the system bundle first, which cost ~20 ms of CPU per request and was thrown away.
  curl_easy_setopt(c, CURLOPT_CAINFO, nullptr);
  curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, SslCtxCallback);
  curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &setup);
  curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  std::string password;
  if (!config_.username.empty()) {
    if (!config_.password.empty()) {
      password = std::string(config_.password.view());
    } else if (!config_.password_file.empty()) {
      std::ifstream in(config_.password_file);
      if (!in) return IoError("reading EST password file '" + config_.password_file + "'", errno);
      std::getline(in, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
    }
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());  // libcurl keeps its own copy
  }
  CurlSlistPtr headers;
  if (body != nullptr) {
    curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/pkcs10");
    list = curl_slist_append(list, "Content-Transfer-Encoding: base64");
    list = curl_slist_append(list, "Expect:");
    headers.reset(list);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  CURLcode rc = curl_easy_perform(c);
  OPENSSL_cleanse(password.data(), password.size());
  if (rc != CURLE_OK) {
    last_status_ = 0;
    long verify = X509_V_OK;
    curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &verify);
    bool tls = verify != X509_V_OK || rc == CURLE_PEER_FAILED_VERIFICATION;
    CountEstRequest(operation, tls || rc == CURLE_SSL_CONNECT_ERROR ? "tls" : "transport");
    if (tls)  // whatever curl says
      return TrustError(verify, errbuf, url, config_.trusted_certs);
    return TransportError(rc, errbuf, url);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  last_status_ = static_cast<int>(r.status);
  CountEstRequest(operation, std::to_string(r.status));
  r.content_type = Header(c, "Content-Type");
  r.retry_after = Header(c, "Retry-After");
  r.www_authenticate = Header(c, "WWW-Authenticate");
  if (r.status == 200 || r.status == 202 || r.status == 204) return r;
  return StatusError(r.status, r.body, r.www_authenticate, url);
}

Expected<EstClient::Response> EstClient::PerformPolling(const std::string& operation,
                                                        const std::string* body) {
  std::chrono::seconds waited{0};
  for (;;) {
    EDGESEC_ASSIGN_OR_RETURN(Response r, Perform(operation, body));
    if (r.status != 202) return r;
    auto wait = ParseRetryAfter(r.retry_after, time(nullptr)).value_or(config_.default_retry_after);
    if (wait < std::chrono::seconds(1)) wait = std::chrono::seconds(1);
    if (waited + wait > config_.max_total_wait)
      return MakeError(ErrorKind::kUnavailable,
                       "EST server still processing '" + operation + "' after " +
                           std::to_string(waited.count()) + " s (bound " +
                           std::to_string(config_.max_total_wait.count()) + " s)");
    config_.sleep(wait);
    waited += wait;
  }
}

Expected<std::vector<X509Ptr>> EstClient::CaCerts() {
  EDGESEC_ASSIGN_OR_RETURN(Response r, PerformPolling("cacerts", nullptr));
  auto certs = DecodeCertificates(r.body, r.content_type);
  if (!certs) return certs.error().Context("EST /cacerts");
  return OrderChain(std::move(*certs));
}

Expected<CsrAttrs> EstClient::CsrAttributes() {
  auto r = PerformPolling("csrattrs", nullptr);
  if (!r && r.error().kind == ErrorKind::kNotFound) return CsrAttrs{};
  if (!r) return r.error();
  if (r->status == 204) return CsrAttrs{};
  auto attrs = DecodeCsrAttrs(r->body);
  if (!attrs) return attrs.error().Context("EST /csrattrs");
  return attrs;
}

Expected<EnrollResult> EstClient::Enroll(const std::string& operation, X509_REQ* csr) {
  EDGESEC_ASSIGN_OR_RETURN(std::string body, EncodeCsrBody(csr));
  EDGESEC_ASSIGN_OR_RETURN(Response r, PerformPolling(operation, &body));
  auto certs = DecodeCertificates(r.body, r.content_type);
  if (!certs) return certs.error().Context("EST /" + operation);
  EnrollResult result;
  EVP_PKEY* requested = X509_REQ_get0_pubkey(csr);
  for (auto it = certs->begin(); it != certs->end(); ++it) {
    if (EVP_PKEY_eq(X509_get0_pubkey(it->get()), requested) == 1) {
      result.cert = std::move(*it);
      certs->erase(it);
      break;
    }
  }
  ERR_clear_error();
  if (!result.cert)
    return MakeError(ErrorKind::kUnprocessable,
                     "EST /" + operation + ": no returned certificate is for the CSR's key");
  result.chain = OrderChain(std::move(*certs));
  result.subject_as_requested =
      X509_NAME_cmp(X509_get_subject_name(result.cert.get()), X509_REQ_get_subject_name(csr)) == 0;
  return result;
}

Expected<EnrollResult> EstClient::SimpleEnroll(X509_REQ* csr) {
  return Enroll("simpleenroll", csr);
}
Expected<EnrollResult> EstClient::SimpleReenroll(X509_REQ* csr) {
  return Enroll("simplereenroll", csr);
}

Expected<ServerKeygenResult> EstClient::ServerKeygen(X509_REQ* csr) {
  EDGESEC_ASSIGN_OR_RETURN(std::string body, EncodeCsrBody(csr));
  EDGESEC_ASSIGN_OR_RETURN(Response r, PerformPolling("serverkeygen", &body));
  auto result = DecodeServerKeygen(r.body, r.content_type);
  if (!result) return result.error().Context("EST /serverkeygen");
  return result;
}

}  // namespace edgesec::certd::est

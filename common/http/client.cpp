#include "common/http/client.hpp"

#include <mutex>

namespace edgesec::http {
namespace {

size_t AppendBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * nmemb > (64u << 20)) return 0;  // a broken server cannot exhaust memory
  out->append(data, size * nmemb);
  return size * nmemb;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Only a socket that is not there or refuses the connection is "cannot reach": a request that was
// sent and got no (complete) answer says so, with the time waited.
Error TransportError(CURLcode rc, const std::string& socket, long timeout_ms) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return MakeError(ErrorKind::kUnavailable, "cannot reach '" + socket + "'",
                       curl_easy_strerror(rc));
    case CURLE_OPERATION_TIMEDOUT:
      return MakeError(ErrorKind::kUnavailable,
                       "no answer from '" + socket + "' within " +
                           std::to_string((timeout_ms + 999) / 1000) + " s",
                       curl_easy_strerror(rc))
          .WithReason(ErrorReason::kNoAnswer);
    default:
      return MakeError(ErrorKind::kUnavailable,
                       "the connection to '" + socket + "' failed before an answer",
                       curl_easy_strerror(rc));
  }
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

UnixClient::~UnixClient() = default;

CurlPtr UnixClient::Take() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      CurlPtr h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  return CurlPtr(curl_easy_init());
}

void UnixClient::Give(CurlPtr handle) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < 16) idle_.push_back(std::move(handle));
}

Expected<ClientResponse> UnixClient::Send(std::string_view method, std::string_view path_and_query,
                                          const std::string* body) {
  CurlPtr h = Take();
  if (!h) return Internal("cannot create a libcurl handle");
  CURL* c = h.get();
  curl_easy_reset(c);  // keeps the connection cache
  std::string url = "http://localhost" + std::string(path_and_query);
  std::string m(method);
  ClientResponse resp;
  CurlSlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else if (m == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return TransportError(rc, socket_path_, timeout_ms_);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  Give(std::move(h));
  return resp;
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

#include "certd/revocation/fetch.hpp"

#include "certd/revocation/crl.hpp"
#include "common/ossl.hpp"

namespace edgesec::certd::revocation {
namespace {

struct Sink {
  std::string data;
  bool too_big = false;
};

size_t Write(char* ptr, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  if (sink->data.size() + len > kMaxFetchBytes) {
    sink->too_big = true;
    return 0;  // abandons the transfer
  }
  sink->data.append(ptr, len);
  return len;
}

}  // namespace

Expected<std::string> Fetch(const FetchRequest& r) {
  CurlPtr curl(curl_easy_init());
  if (!curl) return MakeError(ErrorKind::kInternal, "cannot start libcurl");
  Sink sink;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, r.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, std::min<long>(r.timeout_seconds, 10));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  if (!r.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, r.ca_file.c_str());
  CurlSlistPtr headers;
  if (!r.body.empty()) {
    std::string type = "Content-Type: " + r.content_type;
    headers.reset(curl_slist_append(nullptr, type.c_str()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (sink.too_big)
    return MakeError(ErrorKind::kUnavailable,
                     "the answer is bigger than " + std::to_string(kMaxFetchBytes) + " bytes");
  if (rc != CURLE_OK) return MakeError(ErrorKind::kUnavailable, curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return MakeError(ErrorKind::kUnavailable, "HTTP status " + std::to_string(status));
  return std::move(sink.data);
}

}  // namespace edgesec::certd::revocation

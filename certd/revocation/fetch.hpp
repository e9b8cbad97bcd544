#pragma once
// Fetching a CRL (GET) or asking an OCSP responder (POST application/ocsp-request) over http or
// https with libcurl: bounded in size (kMaxFetchBytes) and time, no other scheme, at most 3
// redirects (http/https only). https verifies the server with the system trust store, or with
// `ca_file` when given. A proxy comes from the usual environment variables (libcurl's).
// Errors: kUnavailable (cannot connect, timeout, an HTTP status other than 200, too big), saying
// which.

#include <string>

#include "common/error.hpp"

namespace edgesec::certd::revocation {

struct FetchRequest {
  std::string url;
  std::string body;  // not empty: POST with `content_type`
  std::string content_type;
  long timeout_seconds = 15;
  std::string ca_file;  // https trust anchors; empty: the system's
};

Expected<std::string> Fetch(const FetchRequest& request);

}  // namespace edgesec::certd::revocation

#pragma once
// edgesec_est_requests_total{op,status} (docs/metrics.md): one per request sent to the EST server,
// op = the EST operation (cacerts, simpleenroll, simplereenroll, serverkeygen, csrattrs), status =
// the HTTP status, or "transport" (no answer: DNS, connect, timeout) or "tls" (the handshake or the
// server's certificate failed).

#include <string>

namespace edgesec::certd::est {

void CountEstRequest(const std::string& op, const std::string& status);

}  // namespace edgesec::certd::est

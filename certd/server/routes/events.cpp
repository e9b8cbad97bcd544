// GET /events?since=N[&timeout=S] (edgesec): long-polls (up to 60 s, or `timeout` seconds; with
// timeout=0 until a change, with no time limit) for {"seq":M,"changed":[…]}; a `since` from
// another certd process answers at once with "reset". certd's stop ends every wait.
#include <algorithm>
#include <cstdlib>

#include "certd/server/routes/routes.hpp"

namespace edgesec::certd::routes {
namespace {

Expected<int64_t> NumberParam(const http::Call& call, const char* name, int64_t fallback) {
  auto it = call.request.query.find(name);
  if (it == call.request.query.end()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < 0)
    return InvalidParameter(std::string("parameter '") + name + "' must be a non-negative integer");
  return static_cast<int64_t>(v);
}

}  // namespace

void AddEventsRoute(http::Router& router, CertService& service) {
  router.Add(
      "GET", "/events", "2020-09-01", [&service](const http::Call& call) -> Expected<http::Reply> {
        EDGESEC_ASSIGN_OR_RETURN(int64_t since, NumberParam(call, "since", 0));
        EDGESEC_ASSIGN_OR_RETURN(int64_t timeout, NumberParam(call, "timeout", 60));
        int64_t timeout_ms = timeout == 0 ? -1 : std::min<int64_t>(timeout, 60) * 1000;
        EDGESEC_ASSIGN_OR_RETURN(
            auto events, service.Events(CallerOf(call), static_cast<uint64_t>(since), timeout_ms));
        return http::Reply::Ok(events.ToJson());
      });
}

}  // namespace edgesec::certd::routes

#include "certd/est/est_metrics.hpp"

#include "common/metrics.hpp"

namespace edgesec::certd::est {

void CountEstRequest(const std::string& op, const std::string& status) {
  // A few requests a day: the child is looked up each time (a lock and a map search).
  static auto& family = metrics::Default().CounterFamily(
      "edgesec_est_requests_total", "Requests sent to the EST server, by operation and outcome.",
      {"op", "status"});
  family.With({op, status}).Inc();
}

}  // namespace edgesec::certd::est

#pragma once
// GET /metrics (docs/metrics.md): the process's registry (metrics::Default()), the build info and
// start time, and the families a daemon computes when asked (cert times), in Prometheus' text
// format. Readers: root, the daemon's own uid and the uids of its configured principals (metrics
// name cert and key ids, never handles, keys or PINs); others get the router's unauthorized status.

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/http/router.hpp"
#include "common/metrics.hpp"

namespace edgesec::http {

class MetricsReaders {
 public:
  explicit MetricsReaders(std::vector<uid_t> principals) { Set(std::move(principals)); }
  // A reload's principals.
  void Set(std::vector<uid_t> principals);
  bool May(uid_t caller) const;

 private:
  mutable std::mutex mutex_;
  std::vector<uid_t> principals_;
};

using MetricsSource = std::function<std::vector<metrics::MetricFamily>()>;

// Adds GET /metrics to `router`; `computed` may be empty.
void AddMetricsRoute(Router& router, const std::string& min_version,
                     std::shared_ptr<const MetricsReaders> readers, MetricsSource computed);

}  // namespace edgesec::http

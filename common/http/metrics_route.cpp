#include "common/http/metrics_route.hpp"

#include <unistd.h>

#include <algorithm>

namespace edgesec::http {

void MetricsReaders::Set(std::vector<uid_t> principals) {
  std::lock_guard lock(mutex_);
  principals_ = std::move(principals);
}

bool MetricsReaders::May(uid_t caller) const {
  if (caller == 0 || caller == ::getuid()) return true;
  std::lock_guard lock(mutex_);
  return std::find(principals_.begin(), principals_.end(), caller) != principals_.end();
}

void AddMetricsRoute(Router& router, const std::string& min_version,
                     std::shared_ptr<const MetricsReaders> readers, MetricsSource computed) {
  metrics::Default();  // the process start time is taken now, at setup
  router.Add("GET", "/metrics", min_version,
             [readers, computed](const Call& call) -> Expected<Reply> {
               uid_t uid = call.request.peer_uid;
               if (!readers->May(uid))
                 return MakeError(ErrorKind::kUnauthorized,
                                  "user " + std::to_string(uid) +
                                      " may not read metrics (root, the service's own user and "
                                      "its configured principals may)");
               std::vector<metrics::MetricFamily> families = metrics::Default().Collect();
               metrics::AddProcessFamilies(families);
               if (computed)
                 for (auto& f : computed()) families.push_back(std::move(f));
               return Reply::Text(metrics::Render(std::move(families)), metrics::kContentType);
             });
}

}  // namespace edgesec::http

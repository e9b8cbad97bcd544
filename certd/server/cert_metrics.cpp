#include "certd/server/cert_metrics.hpp"

#include <algorithm>
#include <optional>

#include "certd/server/service.hpp"
#include "certd/store/lifecycle.hpp"
#include "common/log.hpp"

namespace edgesec::certd {

void CountRenewal(const std::string& cert_id, bool succeeded) {
  static auto& family = metrics::Default().CounterFamily(
      "edgesec_renewals_total", "Renewal attempts of a cert that ended, by result.",
      {"cert_id", "result"});
  family.With({cert_id, succeeded ? "success" : "failure"}).Inc();
}

std::vector<metrics::MetricFamily> CertService::MetricFamilies() {
  metrics::GaugeBuilder not_after("edgesec_cert_not_after_seconds",
                                  "The notAfter time of a cert's leaf, in unix seconds.");
  metrics::GaugeBuilder status("edgesec_cert_status",
                               "1 for the cert's current lifecycle status, 0 for the others.");
  metrics::GaugeBuilder next("edgesec_renewal_next_seconds",
                             "When the next renewal of a cert is planned, in unix seconds.");
  int64_t now = Now();
  auto ids = store_->Ids();
  if (!ids) log::Warning("certd: metrics: cannot list certs: " + ids.error().message);
  for (const std::string& id : ids ? *ids : std::vector<std::string>{}) {
    // The facts are read with the file and cached by its stamp: no parse per scrape.
    auto stored = store_->Get(id);
    if (!stored || !*stored || !(*stored)->facts) continue;
    std::optional<api::CertLifecycle> life = LifecycleOf(id);
    if (!life) continue;
    not_after.Add({{"cert_id", id}}, static_cast<double>((*stored)->facts->not_after));
    for (const char* s : store::kAllStatuses)
      status.Add({{"cert_id", id}, {"status", s}}, life->status == s ? 1 : 0);
  }
  metrics::GaugeBuilder stale(
      "edgesec_revocation_stale",
      "1 when the last good CRL of a cert is past its nextUpdate and no fresh one could be had.");
  for (const auto& [id, is_stale] : revocations_->Staleness())
    stale.Add({{"cert_id", id}}, is_stale ? 1 : 0);
  const renewal::Tracker& tracker = renewals_->tracker();
  for (const std::string& id : tracker.Ids()) {
    auto view = tracker.View(id);
    if (view && view->decision.at)
      next.Add({{"cert_id", id}}, static_cast<double>(std::max(*view->decision.at, now)));
  }
  return {std::move(not_after.family), std::move(status.family), std::move(next.family),
          std::move(stale.family)};
}

}  // namespace edgesec::certd

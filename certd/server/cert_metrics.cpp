#include "certd/server/cert_metrics.hpp"

#include <algorithm>

#include "certd/server/service.hpp"
#include "common/log.hpp"
#include "common/x509/pem.hpp"
#include "common/x509/time.hpp"

namespace edgesec::certd {

void CountRenewal(const std::string& cert_id, bool succeeded) {
  static auto& family = metrics::Default().CounterFamily(
      "edgesec_renewals_total", "Renewal attempts of a cert that ended, by result.",
      {"cert_id", "result"});
  family.With({cert_id, succeeded ? "success" : "failure"}).Inc();
}

const char* MetricsCertStatus(int64_t not_before, int64_t not_after, int64_t now) {
  if (now < not_before) return "inactive";
  if (now > not_after) return "expired";
  return "active";
}

std::vector<metrics::MetricFamily> CertFamilies(const store::CertStore& store,
                                                const renewal::Tracker& tracker, int64_t now) {
  static const char* const kStatuses[] = {"active", "expired", "revoked", "inactive"};
  metrics::GaugeBuilder not_after("edgesec_cert_not_after_seconds",
                                  "The notAfter time of a cert's leaf, in unix seconds.");
  metrics::GaugeBuilder status("edgesec_cert_status",
                               "1 for the cert's current lifecycle status, 0 for the others.");
  metrics::GaugeBuilder next("edgesec_renewal_next_seconds",
                             "When the next renewal of a cert is planned, in unix seconds.");
  auto ids = store.Ids();
  if (!ids) log::Warning("certd: metrics: cannot list certs: " + ids.error().message);
  for (const std::string& id : ids ? *ids : std::vector<std::string>{}) {
    auto stored = store.Get(id);
    if (!stored || !*stored) continue;
    auto chain = edgesec::x509::ParsePemChain((*stored)->pem);
    if (!chain) continue;
    auto nb = edgesec::x509::ToEpoch(X509_get0_notBefore(chain->front().get()));
    auto na = edgesec::x509::ToEpoch(X509_get0_notAfter(chain->front().get()));
    if (!nb || !na) continue;
    not_after.Add({{"cert_id", id}}, static_cast<double>(*na));
    std::string current = MetricsCertStatus(*nb, *na, now);
    for (const char* s : kStatuses)
      status.Add({{"cert_id", id}, {"status", s}}, current == s ? 1 : 0);
  }
  for (const std::string& id : tracker.Ids()) {
    auto view = tracker.View(id);
    if (view && view->decision.at)
      next.Add({{"cert_id", id}}, static_cast<double>(std::max(*view->decision.at, now)));
  }
  return {std::move(not_after.family), std::move(status.family), std::move(next.family)};
}

std::vector<metrics::MetricFamily> CertService::MetricFamilies() const {
  return CertFamilies(*store_, renewals_->tracker(), Now());
}

}  // namespace edgesec::certd

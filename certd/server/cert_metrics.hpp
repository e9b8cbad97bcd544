#pragma once
// certd's metrics (docs/metrics.md): the renewal counter, and the families computed when /metrics
// is asked — cert times and status from the store, the next renewal from the tracker — so that no
// timer refreshes them.

#include <string>
#include <vector>

#include "common/metrics.hpp"

namespace edgesec::certd {

// edgesec_renewals_total{cert_id,result}: one renewal attempt ended.
void CountRenewal(const std::string& cert_id, bool succeeded);

// edgesec_cert_not_after_seconds, edgesec_cert_status (every stored or preloaded cert; the status
// is certd's lifecycle status, CertService::LifecycleOf) and edgesec_renewal_next_seconds
// (credentials with a planned renewal): CertService::MetricFamilies().

}  // namespace edgesec::certd

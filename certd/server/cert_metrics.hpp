#pragma once
// certd's metrics (docs/metrics.md): the renewal counter, and the families computed when /metrics
// is asked — cert times and status from the store, the next renewal from the tracker — so that no
// timer refreshes them.

#include <cstdint>
#include <string>
#include <vector>

#include "certd/renewal/tracker.hpp"
#include "certd/store/store.hpp"
#include "common/metrics.hpp"

namespace edgesec::certd {

// edgesec_renewals_total{cert_id,result}: one renewal attempt ended.
void CountRenewal(const std::string& cert_id, bool succeeded);

// The lifecycle status of a cert for edgesec_cert_status, from its validity alone: "inactive"
// before notBefore, "expired" after notAfter, else "active". A stand-in for certd's canonical
// status function (issue 15, item 1: it adds "revoked" and retired certs); swap it in at merge.
const char* MetricsCertStatus(int64_t not_before, int64_t not_after, int64_t now);

// edgesec_cert_not_after_seconds, edgesec_cert_status (every stored or preloaded cert) and
// edgesec_renewal_next_seconds (credentials with a planned renewal), at `now`.
std::vector<metrics::MetricFamily> CertFamilies(const store::CertStore& store,
                                                const renewal::Tracker& tracker, int64_t now);

}  // namespace edgesec::certd

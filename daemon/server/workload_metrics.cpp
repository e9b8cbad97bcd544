#include "daemon/server/workload_metrics.hpp"

#include "common/metrics.hpp"

namespace edgesec::identityd {

namespace {
metrics::Family<metrics::Counter>& Issued() {
  static auto& family = metrics::Default().CounterFamily(
      "edgesec_workload_certs_issued_total",
      "Module certs issued through the workload API, by kind (server or identity).", {"kind"});
  return family;
}
// Resolved at start (so that both show 0 before the first issuance), once each: issuing a module
// cert costs a key generation, counting it an atomic add.
metrics::Counter& server_count = Issued().With({"server"});
metrics::Counter& identity_count = Issued().With({"identity"});
}  // namespace

void CountWorkloadCert(bool server) {
  (server ? server_count : identity_count).Inc();
}

}  // namespace edgesec::identityd

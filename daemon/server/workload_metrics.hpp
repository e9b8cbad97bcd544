#pragma once
// identityd's metric (docs/metrics.md): edgesec_workload_certs_issued_total{kind}, kind "server"
// or "identity": module certs issued through the workload API.

namespace edgesec::identityd {

void CountWorkloadCert(bool server);

}  // namespace edgesec::identityd

#pragma once
// Module certificates (API.md, "Workload"): a fresh key made here (EC P-256 unless configured), a
// CSR with the module's names, signed by the Edge CA through certd (POST /certificates with the
// Edge CA as issuer and the module-server / module-client profile; certd does not store them).
// The key is returned to the module and never kept.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "certd/client/certd_client.hpp"
#include "daemon/api/identity_api.hpp"

namespace edgesec::identityd {

struct ModuleCertSpec {
  std::string module_id;
  std::string common_name;
  bool server = true;                // server: EKU serverAuth + SANs; else client (identity)
  std::optional<int64_t> not_after;  // the caller's earlier expiration, if any
};

struct ModuleCertPolicy {
  std::string edge_ca_cert;
  std::string key_algorithm = "ec-p256";
  int validity_days = 30;
};

// The DNS name of a module id: lower-cased, characters outside a-z0-9- dropped, at most 63, no
// leading or trailing '-'; empty when nothing is left (the server cert route refuses such ids).
std::string ModuleDnsName(const std::string& module_id);
// "DNS:<cn>" or "IP:<cn>" for an address, then "DNS:<module dns name>" when different.
std::vector<std::string> ServerSans(const std::string& common_name, const std::string& module_id);

// kInvalidParameter for a bad common name; certd's error otherwise (kind preserved).
Expected<api::IssuedCert> IssueModuleCert(certd::CertdClient& certd, const ModuleCertPolicy& policy,
                                          const ModuleCertSpec& spec, int64_t now);

}  // namespace edgesec::identityd

#pragma once
// Clients of identityd's (folder daemon/) two sockets, for edgectl and tests: the identity API and
// IoT Edge's workload API. Errors carry identityd's message and a kind that follows the HTTP
// status.

#include <string>

#include "common/error.hpp"
#include "common/http/client.hpp"
#include "daemon/api/identity_api.hpp"

namespace edgesec::identityd {

class IdentitydClient {
 public:
  explicit IdentitydClient(std::string socket_path) : http_(std::move(socket_path)) {}
  Expected<Json> Identity();
  Expected<Json> EdgeCa();  // GET /edge-ca
  Expected<std::string> TrustBundle();
  Expected<Json> Version();

 private:
  static std::string Path(const std::string& route);
  http::UnixClient http_;
};

class WorkloadClient {
 public:
  explicit WorkloadClient(std::string socket_path) : http_(std::move(socket_path)) {}
  Expected<api::IssuedCert> ServerCert(const std::string& module_id, const std::string& gen_id,
                                       const api::ServerCertRequest& request);
  Expected<api::IssuedCert> IdentityCert(const std::string& module_id);
  Expected<std::string> TrustBundle();

 private:
  static std::string Path(const std::string& route);
  http::UnixClient http_;
};

}  // namespace edgesec::identityd

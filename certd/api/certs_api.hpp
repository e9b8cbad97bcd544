#pragma once
// Request and response types of the certificates API (API.md, "Certificates") and their JSON
// mapping, shared by the server (FromJson: names the missing or mistyped field, ignores unknown
// ones) and the client (ToJson).

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"

namespace edgesec::certd::api {

inline const std::vector<std::string>& Versions() {
  static const std::vector<std::string> v = {"2020-09-01"};
  return v;
}
inline constexpr const char* kVersionLatest = "2020-09-01";

struct Issuer {
  std::string cert_id;
  std::string private_key_handle;
};

// POST /certificates
struct CreateCertRequest {
  std::string cert_id;
  std::string
      csr;  // PEM; edgesec: may be absent for an est credential (certd builds it with the keyd key)
  std::optional<Issuer> issuer;
  std::optional<std::string> profile;  // edgesec: an issuance profile of certd's config
  static Expected<CreateCertRequest> FromJson(const Json& j);
  Json ToJson() const;
};

// PUT /certificates/{certId}; also the answer of POST, PUT and GET ({"pem": …}).
struct PemBody {
  std::string pem;
  static Expected<PemBody> FromJson(const Json& j);
  Json ToJson() const;
};

// One entry of GET /certificates.
struct CertSummary {
  std::string cert_id, subject, issuer, not_before, not_after, sha256;
  std::string key_id;      // empty when no credential names the key
  bool preloaded = false;  // edgesec: the cert comes from a file:// path of the config
  static Expected<CertSummary> FromJson(const Json& j);
  Json ToJson() const;
};

struct ListCertsResponse {
  std::vector<CertSummary> certificates;
  static Expected<ListCertsResponse> FromJson(const Json& j);
  Json ToJson() const;
};

}  // namespace edgesec::certd::api

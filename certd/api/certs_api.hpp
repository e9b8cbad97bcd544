#pragma once
// Request and response types of the certificates API (API.md, "Certificates") and their JSON
// mapping, shared by the server (FromJson: names the missing or mistyped field, ignores unknown
// ones) and the client (ToJson).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "certd/api/lifecycle_api.hpp"
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
  // edgesec: may be empty (absent on the wire): certd uses the key recorded with the issuer's
  // stored cert, else the issuer credential's key id, else the issuer cert id.
  std::string private_key_handle;
};

// POST /certificates
struct CreateCertRequest {
  std::string cert_id;
  // PEM; edgesec: may be absent for a credential of certd's config (self_signed, local_ca, est):
  // certd then creates the credential's key in keyd if absent and builds the CSR from the
  // credential's subject and SANs.
  std::string csr;
  std::optional<Issuer> issuer;
  std::optional<std::string> profile;  // edgesec: an issuance profile of certd's config
  // edgesec: RFC 3339; honoured when earlier than the profile's validity (always capped at the
  // issuer's notAfter).
  std::optional<std::string> not_after;
  bool store = true;  // edgesec: false → issued and returned, not written to the store
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
  CertLifecycle lifecycle;  // edgesec: status, type, level (lifecycle_api.hpp)
  static Expected<CertSummary> FromJson(const Json& j);
  Json ToJson() const;
};

struct ListCertsResponse {
  std::vector<CertSummary> certificates;
  static Expected<ListCertsResponse> FromJson(const Json& j);
  Json ToJson() const;
};

// GET /credentials/{certId} (edgesec): the renewal state of a credential of certd's config. Times
// are RFC 3339, empty when null on the wire.
struct CredentialStatus {
  std::string cert_id;
  std::string key_id;  // the current key id (the versioned one after a rotation)
  std::string method;
  bool auto_renew = true;
  std::string next_renewal, last_attempt;
  int attempts = 0;
  std::string last_error;
  std::string not_after;
  std::string state;  // "valid", "missing", "renewing", "failed", "expired"
  // edgesec: est credentials: the longest certd waits on the EST server's 202 + Retry-After in one
  // operation ([est] max_wait), so that a client waits that long more; 0 (absent) for others.
  int64_t max_wait_seconds = 0;
  static Expected<CredentialStatus> FromJson(const Json& j);
  Json ToJson() const;
};

struct ListCredentialsResponse {
  std::vector<CredentialStatus> credentials;
  static Expected<ListCredentialsResponse> FromJson(const Json& j);
  Json ToJson() const;
};

// GET /events?since=N (edgesec): `seq` starts at 1 when certd starts and grows with every change
// of a stored cert; `reset`: `since` was not from this process (or too old): re-read everything.
struct EventsResponse {
  uint64_t seq = 1;
  std::vector<std::string> changed;
  bool reset = false;
  static Expected<EventsResponse> FromJson(const Json& j);
  Json ToJson() const;
};

}  // namespace edgesec::certd::api

#pragma once
// The lifecycle additions of the certificates API (edgesec; docs/certd.md, "Lifecycle: status,
// type, level, history"): status, type and CA level in GET /certificates/{id} and in each entry of
// GET /certificates, and GET /certificates/{id}/history. Times are RFC 3339.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"

namespace edgesec::certd::api {

// "status": active|expired|revoked|inactive, "type": managed|imported-with-key|
// imported-without-key, "level": 0 root, 1 intermediate, 2+ issuing (null: no CA). Empty status:
// absent on the wire (a certd before this addition).
struct CertLifecycle {
  std::string status, type;
  std::optional<int> level;
  void AddTo(Json& j) const;  // adds "status", "type", "level" to an object
  static Expected<CertLifecycle> FromJson(const Json& j);
};

// The revocation state of a cert (docs/certd.md, "Revocation"): "state" good|revoked|unknown,
// "source" crl|ocsp, "checkedAt" and "nextUpdate" (RFC 3339 or null), "stale" (the last good answer
// is past its nextUpdate and no fresh one could be had), "lastError" (or null).
struct RevocationInfo {
  std::string state, source, checked_at, next_update, last_error;  // empty times/error: null
  bool stale = false;
  Json ToJson() const;
  static Expected<RevocationInfo> FromJson(const Json& j);
};

// GET /certificates/{id}: {"pem", "status", "type", "level"}, and "revocation" when the cert
// names a CRL distribution point or an OCSP responder and checking is on.
struct CertInfo {
  std::string pem;
  CertLifecycle lifecycle;
  std::optional<RevocationInfo> revocation;
  Json ToJson() const;
  static Expected<CertInfo> FromJson(const Json& j);
};

// One generation of GET /certificates/{id}/history.
struct GenerationInfo {
  int64_t generation = 1;
  std::string serial, sha256, public_key_sha256, key_id;  // key_id empty: null
  std::string not_before, not_after;
  std::string origin, reason;            // see certd/store/history.hpp
  std::string from_serial, from_sha256;  // "reissuedFrom"; empty: null
  std::string reissued_at;
  bool synthesized = false;
  std::string status;                         // the generation's status now (past ones: retired)
  std::string revoked_at, revocation_reason;  // "revoked": {"at","reason"}; empty: null
  Json ToJson() const;
  static Expected<GenerationInfo> FromJson(const Json& j);
};

struct HistoryResponse {
  std::string cert_id;
  int64_t dropped = 0;
  std::vector<GenerationInfo> generations;  // oldest first
  Json ToJson() const;
  static Expected<HistoryResponse> FromJson(const Json& j);
};

// The reasons a caller may give to POST /credentials/{id}/renew ({"reason": …}).
bool IsRenewReason(const std::string& reason);

}  // namespace edgesec::certd::api

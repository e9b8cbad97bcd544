#pragma once
// The certd client library: typed calls of the certificates API over certd's socket, used by
// edgectl and the other services. Errors carry certd's own message and a kind that follows the HTTP
// status.

#include <optional>
#include <string>
#include <vector>

#include "certd/api/certs_api.hpp"
#include "common/error.hpp"
#include "common/http/client.hpp"

namespace edgesec::certd {

class CertdClient {
 public:
  explicit CertdClient(std::string socket_path, long timeout_ms = 60000)
      : http_(std::move(socket_path), timeout_ms) {}

  Expected<std::string> Issue(const api::CreateCertRequest& request);  // leaf + chain PEM
  // `key_id` (edgesec): the keyd key holding the cert's private key, recorded with the cert.
  Expected<std::string> Import(const std::string& id, const std::string& pem,
                               const std::string& key_id = {});
  Expected<std::string> Get(const std::string& id);
  // GET /certificates/{id} with its edgesec lifecycle fields (status, type, level).
  Expected<api::CertInfo> GetInfo(const std::string& id);
  // POST /certificates/{id}/revocation-check (edgesec): certd fetches the cert's CRLs now (due or
  // not) and answers the cert with its revocation state.
  Expected<api::CertInfo> CheckRevocation(const std::string& id);
  // GET /certificates/{id}/history (edgesec): every generation, oldest first.
  Expected<api::HistoryResponse> History(const std::string& id);
  Status Delete(const std::string& id);
  Expected<std::vector<api::CertSummary>> List();
  Expected<Json> Version();
  // POST /credentials/{id}/renew, answered once the new cert is committed; `rotate_key` overrides
  // the credential's setting when given.
  // `if_needed`: only when the cert is missing, expired or due (else the current cert is answered).
  // `reason` (edgesec): manual, revoked, key-compromise (a new key) or source-changed; recorded in
  // the cert's history (empty: manual).
  Expected<std::string> Renew(const std::string& id, std::optional<bool> rotate_key = std::nullopt,
                              bool if_needed = false, const std::string& reason = {});
  // GET /credentials/{id} and GET /credentials: the renewal state.
  Expected<api::CredentialStatus> GetCredential(const std::string& id);
  Expected<std::vector<api::CredentialStatus>> ListCredentials();
  // GET /events?since=N&timeout=S: returns when a cert changed after `since` (at once when one
  // did, or when `since` is not from this certd process: reset), else after `timeout_seconds`
  // (at most 60) with an empty `changed`; `timeout_seconds` 0: no time limit (a change, or certd
  // stopping: an empty `changed`, or kUnavailable when certd goes away). Start with since = 0 to
  // learn the current seq.
  Expected<api::EventsResponse> WaitEvents(uint64_t since, int timeout_seconds = 60);

 private:
  static std::string Path(const std::string& route);
  static Expected<std::string> Pem(const Json& j);
  http::UnixClient http_;
};

}  // namespace edgesec::certd

#pragma once
// The certificate service: every certificates-API operation, independent of HTTP, and the renewal
// engine's actions (two-phase renewal of every method, the renewal state, change events). Each API
// operation checks the caller against the principals first.
// Errors: kInvalidParameter (bad input, a validation that failed, saying which), kUnauthorized,
// kNotFound, kUnavailable (keyd or the EST server unreachable), kInternal (filesystem).

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "certd/api/certs_api.hpp"
#include "certd/server/est_issuer.hpp"
#include "certd/server/issuer_cache.hpp"
#include "certd/server/renewals.hpp"
#include "certd/server/revocations.hpp"
#include "certd/store/history.hpp"
#include "certd/store/store.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "common/paths.hpp"
#include "config/certd/config.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::certd {

struct Caller {
  uid_t uid;
};

// Root, certd's own uid, and principals whose cert globs match `id`.
bool MayUse(const CertdConfig& config, uid_t caller, const std::string& id);

class CertService {
 public:
  // `clock` null: the system clock. Loads the renewal state (<state dir>/renewal.json).
  static Expected<std::unique_ptr<CertService>> Create(
      const Layout& layout, const CertdConfig& config,
      std::shared_ptr<const Clock> clock = nullptr);
  ~CertService();
  Status Reload(const CertdConfig& config);

  // POST /certificates: leaf + chain PEM.
  Expected<std::string> Issue(const Caller& c, const api::CreateCertRequest& request);
  // PUT /certificates/{id}: the stored PEM.
  // `key_id` (edgesec, optional): the keyd key the importer put the cert's private key under.
  Expected<std::string> Import(const Caller& c, const std::string& id, const std::string& pem,
                               const std::string& key_id = {});
  Expected<std::string> Get(const Caller& c, const std::string& id);
  // DELETE: removes the stored cert (which may have overridden a preloaded one). kInvalidParameter
  // for a preloaded cert with no stored override: the integrator's file is never deleted.
  Status Delete(const Caller& c, const std::string& id);
  Expected<std::vector<api::CertSummary>> List(const Caller& c);

  // POST /credentials/{id}/renew: renews now (EST re-enroll, or local issuance for self_signed and
  // local_ca), answered only after the new cert is committed. `rotate_key` overrides the policy.
  // `if_needed` (edgesec, {"ifNeeded": true}): only when the cert is missing, expired or due;
  // otherwise the stored cert is answered — so a consumer that finds the cert missing or expired
  // (identityd and the Edge CA) never renews it a second time right after certd's own renewal.
  // `reason` (edgesec, lifecycle.cpp): manual (empty), revoked, key-compromise (forces a new key),
  // source-changed; recorded in the cert's history.
  Expected<std::string> Renew(const Caller& c, const std::string& id,
                              std::optional<bool> rotate_key, bool if_needed = false,
                              const std::string& reason = {});
  // GET /credentials, GET /credentials/{id}
  Expected<std::vector<api::CredentialStatus>> Credentials(const Caller& c);
  Expected<api::CredentialStatus> Credential(const Caller& c, const std::string& id);
  // GET /events: long-polls up to `timeout_ms` (negative: no time limit; Shutdown() ends it); ids
  // the caller may not see are left out.
  Expected<api::EventsResponse> Events(const Caller& c, uint64_t since, int64_t timeout_ms);

  // The renewal scheduler thread (certd's main starts it; tests of the service need not).
  void StartScheduler();
  // Stops the scheduler and wakes every long-poll (before the HTTP server stops).
  void Shutdown();

  const Clock& clock() const { return *clock_; }
  // audit.cpp: posts `event` to keyd's audit log (docs/audit.md); never fails.
  void Audit(const Json& event) const;

  // lifecycle.cpp (docs/certd.md, "Lifecycle: status, type, level, history"). GET
  // /certificates/{id} with status, type and level; GET /certificates/{id}/history.
  Expected<api::CertInfo> GetInfo(const Caller& c, const std::string& id);
  Expected<api::HistoryResponse> History(const Caller& c, const std::string& id);
  // Status, type and level of cert `id` now, without a caller check (metrics); nullopt when certd
  // holds no cert `id`. The status is store::StatusAt (certd/store/lifecycle.hpp).
  std::optional<api::CertLifecycle> LifecycleOf(const std::string& id);
  // The history files, and the revocation seam: history().MarkRevoked(id, sha256, {at, reason}).
  store::History& history() { return *history_; }
  // revocation.cpp (docs/certd.md, "Revocation"). POST /certificates/{id}/revocation-check:
  // fetches the cert's CRLs now and answers GET /certificates/{id}; kInvalidParameter when
  // checking is off or the cert names no CRL distribution point.
  Expected<api::CertInfo> CheckRevocation(const Caller& c, const std::string& id);
  // One revocation pass over the certs certd holds (the scheduler's extra work): fetches what is
  // due (everything of `force_id`), reacts to revoked certs; when something is due next.
  std::optional<int64_t> RevocationPass(const std::string& force_id = {});

  // GET /metrics: the families computed now (cert_metrics.cpp).
  std::vector<metrics::MetricFamily> MetricFamilies();

 private:
  struct State {
    CertdConfig config;
  };
  CertService(Layout layout, std::shared_ptr<const Clock> clock);
  std::shared_ptr<const State> Snapshot() const;
  Status Authorize(const State& s, const Caller& c, const std::string& id,
                   const char* action) const;
  std::shared_ptr<keyd::KeydClient> Keyd() const;
  int64_t Now() const { return clock_->Now(); }
  // kUnavailable (503) while the clock is before this build's date: nothing is issued at a boot
  // whose clock is not set yet.
  Status CheckClockPlausible() const;

  // issue.cpp. Issuers come from issuers_ (loaded once, see issuer_cache.hpp).
  Expected<IssuerPtr> LoadIssuer(const State& s, const std::string& cert_id,
                                 const std::string& handle, const std::string& key_hint);
  Expected<IssuerPtr> CredentialIssuer(const State& s, const certd::Credential& cred);
  Expected<edgesec::x509::Chain> SignLocally(const State& s, X509_REQ* csr,
                                             const LoadedIssuer* issuer, EVP_PKEY* self_key,
                                             const std::string& profile, int64_t not_after);
  Expected<std::string> IssueForCredential(const State& s, const api::CreateCertRequest& r,
                                           const certd::Credential& cred,
                                           const std::string& profile, int64_t not_after);
  std::string CurrentKeyId(const certd::Credential& cred) const;

  // renew.cpp: how a credential is renewed (EST re-enroll, or local issuance); the bookkeeping is
  // renewals_'s.
  // `revoked`: the stored cert is revoked — always a new key, and EST through /simpleenroll.
  Expected<std::string> RenewCredential(const std::string& id, std::optional<bool> rotate,
                                        RenewWhen when, bool revoked = false);
  Expected<std::string> EnrollRevoked(const State& s, const certd::Credential& cred);
  Expected<std::string> RenewLocally(const State& s, const certd::Credential& cred,
                                     std::optional<bool> rotate);
  void ScheduledRenewal(const std::string& id);
  // audit.cpp: runs `renew` and reports cert.renew (cert.issue for a first enrollment), either way.
  Expected<std::string> AuditedRenewal(const std::string& id,
                                       const std::function<Expected<std::string>()>& renew);

  // revocation.cpp: a revoked cert is recorded, logged, audited (once), and a credential's cert
  // is reissued with a new key; false when a reissue failed (retried with backoff).
  bool OnRevoked(const FoundRevoked& f);
  std::vector<RevocationTarget> RevocationTargets(std::vector<edgesec::x509::Chain>* keep);

  // lifecycle.cpp: the generation hook (every store change) and what it needs.
  api::CertLifecycle LifecycleFor(const State& s, const std::string& id,
                                  const store::StoredCert& cert);
  std::optional<int> LevelFor(const State& s, const std::string& id, const store::CertFacts& f,
                              int depth);
  void OnCertChanged(const std::string& id);
  void RecordCurrent(const State& s, const std::string& id, const store::StoredCert& cert,
                     bool observed);  // observed: found (start, a read), not just written
  void RecordExistingCerts();
  bool PreloadedKeyKnown(const std::string& id, const std::string& sha256);

  Layout layout_;
  std::shared_ptr<const Clock> clock_;
  std::unique_ptr<store::History> history_;
  std::mutex preloaded_keys_mutex_;
  std::map<std::string, std::pair<std::string, bool>> preloaded_keys_;  // id → (sha256, known)
  std::unique_ptr<store::CertStore> store_;
  IssuerCache issuers_;
  mutable std::mutex state_mutex_;
  std::shared_ptr<const State> state_;
  std::shared_ptr<keyd::KeydClient> keyd_;
  std::unique_ptr<EstIssuer> est_;
  std::unique_ptr<Renewals> renewals_;
  std::unique_ptr<Revocations> revocations_;
  // One revocation pass at a time (the scheduler's and a revocation-check request's): finding a cert
  // revoked, recording it and its audit event are one step, so the event is written once.
  std::mutex revocation_pass_mutex_;
  std::mutex reissue_mutex_;
  std::map<std::string, std::pair<int64_t, int>> reissue_retry_;  // id → (not before, failures)
};

}  // namespace edgesec::certd

#pragma once
// certd's renewal bookkeeping, apart from the API operations (service.hpp) and the issuers
// (issuer_cache.hpp): the renewal Tracker (policies, cert times, attempts, persisted in
// renewal.json) kept in step with the config and the store, the scheduler thread, the change events
// of GET /events, and the one-writer lock that serializes renewals with the issuance of a
// credential's cert. How a cert is renewed (EST, local issuance) is the caller's `renew` function.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "certd/api/certs_api.hpp"
#include "certd/renewal/events.hpp"
#include "certd/renewal/scheduler.hpp"
#include "certd/renewal/tracker.hpp"
#include "certd/store/store.hpp"
#include "common/clock.hpp"
#include "config/certd/config.hpp"

namespace edgesec::certd {

// kAlways: the API's renew; kIfDue: the scheduler (due by the policy, as decided when it woke);
// kIfNeeded: missing, expired or due now, else the stored PEM is returned.
enum class RenewWhen { kAlways, kIfDue, kIfNeeded };

class Renewals {
 public:
  using RenewFn = std::function<Expected<std::string>()>;

  // Loads the renewal state (`state_file`); kInternal/kConfig when it cannot be read.
  static Expected<std::unique_ptr<Renewals>> Create(const Clock& clock, store::CertStore& store,
                                                    const std::string& state_file,
                                                    const CertdConfig& config);
  ~Renewals();

  // Policies of the credentials (and expiry watching of preloaded certs) from a (re)loaded config.
  void Apply(const CertdConfig& config);
  // A stored cert changed: its times are re-read, events are bumped, the scheduler re-plans.
  void OnStoreChange(const std::string& id);

  // Held by whoever writes a credential's cert and key id (a renewal, POST /certificates), so that
  // a record never names a key that a concurrent rotation has just deleted.
  std::unique_lock<std::mutex> OneWriter() { return std::unique_lock(writer_mutex_); }
  // With OneWriter() held: runs `renew` for credential `id` when `when` says so (it may have been
  // renewed while the caller waited for the lock), recording the outcome (attempts, lastError, next
  // attempt). kIfDue and not due: an empty string; kIfNeeded and valid: the stored PEM.
  Expected<std::string> Run(const std::string& id, RenewWhen when, const RenewFn& renew);

  // GET /credentials: the renewal state of `cred`.
  api::CredentialStatus StatusOf(const Credential& cred) const;
  renewal::EventBus& events() { return events_; }
  const renewal::Tracker& tracker() const { return *tracker_; }

  // The scheduler thread: `due` is called with each credential whose renewal is due; `extra`:
  // other due work on the same timer (renewal::Scheduler::ExtraFn; may be empty).
  void StartScheduler(int64_t tick, std::function<void(const std::string&)> due,
                      renewal::Scheduler::ExtraFn extra = {});
  // Look again now (the revocation state changed).
  void Wake();
  // Stops the scheduler and wakes every long-poll.
  void Shutdown();

 private:
  Renewals(const Clock& clock, store::CertStore& store) : clock_(clock), store_(store) {}
  void RefreshCert(const std::string& id);
  // Whether a stored cert is still valid (kIfNeeded keeps it then).
  bool StillValid(const std::string& pem) const;

  const Clock& clock_;
  store::CertStore& store_;
  std::unique_ptr<renewal::Tracker> tracker_;
  std::unique_ptr<renewal::Scheduler> scheduler_;
  renewal::EventBus events_;
  std::mutex writer_mutex_;  // one renewal (or credential issuance) at a time
};

}  // namespace edgesec::certd

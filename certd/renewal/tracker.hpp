#pragma once
// The renewal state of every credential: its policy, the times of its current cert, the attempt
// state (persisted atomically in <state dir>/renewal.json, format version 1, with the expiry
// warnings already given, keyed by the cert's fingerprint, and the device's jitter salt) and
// whether a renewal is running. Shared by the scheduler thread and the API (GET /credentials, POST
// /credentials/{id}/renew). Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "certd/renewal/decision.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace edgesec::certd::renewal {

struct CredentialView {
  std::string id;
  Policy policy;
  std::optional<CertTimes> cert;
  AttemptState state;
  Decision decision;
  bool renewing = false;
  // "valid", "missing", "renewing", "failed", "expired"
  std::string StateName(int64_t now) const;
};

struct Warning {
  std::string id;
  int64_t delta = 0;  // seconds before expiry; 0: expired
  CertTimes cert;
};

class Tracker {
 public:
  // `state_file` empty: nothing is persisted (tests, benchmarks).
  Tracker(const Clock& clock, std::string state_file, int64_t retry_floor = 60);

  // Reads the state file; kConfig when it has a newer format, kIo when it cannot be read. A
  // missing file is an empty state. A file without a jitter salt (missing, damaged, or written
  // before salts) gets a new one, written at once.
  Status Load();
  // The configured credentials (a reload): state of removed ones is dropped.
  void SetPolicies(const std::map<std::string, Policy>& policies);
  void SetRetryFloor(int64_t seconds);
  void SetCert(const std::string& id, std::optional<CertTimes> cert);

  // A renewal of `id` starts / ended. Failed(): attempts+1, lastError, lastAttempt = now, tied to
  // the cert that was being renewed. Both persist.
  void Begin(const std::string& id);
  void Succeeded(const std::string& id);
  void Failed(const std::string& id, const std::string& error);

  std::optional<CredentialView> View(const std::string& id) const;
  std::vector<std::string> Ids() const;

  struct Plan {
    std::vector<std::string> due;    // due at `now`, most overdue first (none being renewed)
    std::optional<int64_t> next_at;  // the earliest time after `now` something is due
    std::optional<int64_t> next_warning_at;  // ... an expiry warning not given yet is due
  };
  // One scheduling pass: O(n) decisions, then a sort of the due ones. A last attempt later than
  // `now` (the clock went back) is moved to `now` first.
  Plan PlanAt(int64_t now);
  // Warnings due now, each marked as given (and persisted) before it is returned.
  std::vector<Warning> TakeWarnings(int64_t now);

  size_t size() const;

 private:
  struct Entry {
    Policy policy;
    std::optional<CertTimes> cert;
    AttemptState state;
    uint64_t seed = 0;
    bool renewing = false;
    std::string warned_cert;  // fingerprint the warnings below are about
    int64_t warned_up_to = INT64_MAX;
  };
  Decision DecideLocked(const Entry& e, int64_t now) const;
  void IssuersFirst(std::vector<std::string>& due) const;
  void SaveLocked() const;

  const Clock& clock_;
  std::string state_file_;
  int64_t retry_floor_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  // Mixed into every jitter seed (decision.hpp): random per device, made by the first Load() and
  // kept in the state file ("jitterSalt"), so that a fleet sharing credential ids still spreads.
  // 0 without a state file (tests, benchmarks).
  uint64_t salt_ = 0;
};

}  // namespace edgesec::certd::renewal

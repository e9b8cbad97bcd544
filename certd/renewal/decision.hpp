#pragma once
// The renewal decision, a pure function of the policy, the certificate's times, the persisted
// attempt state and the clock: when is the credential next due? Unit-tested with a fake clock.
//
// - No cert (initial issuance): due at once; after failures, retries back off from the floor
//   (floor, 2×, 4×, … capped at `retry` of a nominal 1-day lifetime, never below the floor).
// - A cert: due at its threshold (notBefore + N% of the lifetime, or notAfter − N), made earlier —
//   never later — by a jitter of up to kThresholdJitterPercent of the renewal window (notAfter −
//   threshold, or threshold − notBefore when shorter), so that a fleet provisioned within an hour
//   does not renew within an hour forever (bench/fleet-renewal). An expired cert or one past its
//   threshold is due at once — after a forward clock jump too: one attempt.
// - After failed attempts on that same cert: the next is last attempt + retry (+ jitter up to 10%
//   of retry), never sooner than the floor, and never further from `now` than its
//   own interval — so a backward clock jump does not postpone it and a forward jump does not make a
//   storm (one attempt, then retries spaced by `retry`).
// - After a success, the next attempt is not sooner than the floor (a cert due as soon as it
//   is issued is not renewed in a loop).
// - A threshold or retry longer than the lifetime is an error (Decision::error); the default 80% /
//   4% are used for that cert instead, so that it still gets renewed.
// - Jitter is deterministic: a hash of `jitter_seed` (the Tracker's: the credential id's hash xor a
//   random salt of the device, kept in renewal.json) and, for part of it, the cert's fingerprint
//   (unique per device and per renewal), so a restart does not move a due time, and devices spread
//   even where they share a seed.

#include <cstdint>
#include <optional>
#include <string>

#include "certd/renewal/policy.hpp"

namespace edgesec::certd::renewal {

struct CertTimes {
  int64_t not_before = 0, not_after = 0;
  std::string fingerprint;  // SHA-256, ties the attempt state to one cert
};

// Persisted per credential (renewal.json).
struct AttemptState {
  int attempts = 0;          // failed attempts since the last success (on `for_cert`)
  int64_t last_attempt = 0;  // 0: never
  std::string last_error;
  std::string for_cert;  // fingerprint of the cert those attempts were renewing ("" = none)
};

struct Decision {
  std::optional<int64_t> at;  // nullopt: never (auto_renew off); <= now: due now
  std::string error;          // the policy does not fit this cert (reported as lastError)
};

struct DecisionInput {
  const Policy* policy = nullptr;
  const std::optional<CertTimes>* cert = nullptr;
  const AttemptState* state = nullptr;
  int64_t now = 0;
  int64_t retry_floor = 60;
  uint64_t jitter_seed = 0;  // differs between devices: JitterSeed(cert id) ^ the device's salt
};

Decision Decide(const DecisionInput& in);

// The renewal is due up to this much of the renewal window (notAfter − threshold) before the
// threshold: 80% of a 1-year cert renews between day 273.75 and day 292.
constexpr int64_t kThresholdJitterPercent = 25;
// How much earlier than `threshold_at` the cert is due: in [0, kThresholdJitterPercent% of the
// renewal window], the window being notAfter − threshold_at, or threshold_at − notBefore when that
// is shorter (a 1% threshold stays after notBefore). Uniform over that span: a share fixed by the
// seed (the device) plus up to half of the span from the cert's fingerprint, wrapped.
int64_t ThresholdJitter(const CertTimes& cert, int64_t threshold_at, uint64_t jitter_seed);

// The renewal time and the retry interval of a cert under a policy (the defaults when the policy
// does not fit; `error` says why).
struct CertSchedule {
  int64_t threshold_at = 0;
  int64_t retry_interval = 0;
  std::string error;
};
CertSchedule ScheduleFor(const Policy& policy, const CertTimes& cert, int64_t retry_floor);

// The seconds before expiry at which a warning is due now and not yet given: the smallest delta
// already crossed (0 = expired) — or nullopt. `warned_up_to`: the smallest delta already warned
// about for this cert (INT64_MAX when none).
std::optional<int64_t> WarningDue(const Policy& policy, const CertTimes& cert, int64_t now,
                                  int64_t warned_up_to);

// The earliest time after `now` at which WarningDue() gives a warning not given yet (a delta
// smaller than `warned_up_to`, expiry included) — or nullopt: the scheduler's timer for warnings.
std::optional<int64_t> NextWarningAt(const Policy& policy, const CertTimes& cert, int64_t now,
                                     int64_t warned_up_to);

uint64_t JitterSeed(const std::string& id);

}  // namespace edgesec::certd::renewal

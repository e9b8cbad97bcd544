#include "certd/renewal/decision.hpp"

#include <algorithm>
#include <limits>

namespace edgesec::certd::renewal {
namespace {

constexpr int64_t kNominalLifetime = 86400;  // for retries before there is any cert

constexpr uint64_t kThresholdSalt = 0x7468726573686f6cULL;  // "threshol"

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

// Uniform in [0, span].
int64_t Below(uint64_t x, int64_t span) {
  return span > 0 ? static_cast<int64_t>(Mix(x) % static_cast<uint64_t>(span + 1)) : 0;
}

int64_t Jitter(int64_t interval, uint64_t seed, int attempts) {
  return Below(seed ^ (static_cast<uint64_t>(attempts) * 0x9E3779B97F4A7C15ULL), interval / 10);
}

// The seed of one cert: the credential's (the same on every device of a fleet) and the cert's
// fingerprint (unique to the device and to each renewal), so that devices and generations differ.
uint64_t CertSeed(uint64_t seed, const std::string& fingerprint) {
  return Mix(seed ^ JitterSeed(fingerprint));
}

// The next retry after `state`'s last failure, at most one interval (+ jitter) from now.
int64_t NextRetry(const AttemptState& state, int64_t interval, int64_t now, uint64_t seed) {
  int64_t j = Jitter(interval, seed, state.attempts);
  int64_t at = state.last_attempt + interval + j;
  return std::min(at, now + interval + j);
}

}  // namespace

uint64_t JitterSeed(const std::string& id) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ULL;
  return h;
}

int64_t ThresholdJitter(const CertTimes& cert, int64_t threshold_at, uint64_t jitter_seed) {
  // The renewal window, or the time before the threshold when that is shorter (a 1% threshold
  // is not made due before notBefore: at least 75% of the configured interval is kept).
  int64_t window = std::min(cert.not_after - threshold_at, threshold_at - cert.not_before);
  int64_t span = window * kThresholdJitterPercent / 100;
  if (span <= 0) return 0;
  // The device's share, the same for each of its certs (devices whose renewal intervals differ
  // drift apart a little more with every renewal), plus up to half of the span from the cert
  // (devices that share a seed still spread), wrapped into [0, span]: uniform over the span.
  int64_t device = Below(jitter_seed ^ kThresholdSalt, span);
  int64_t per_cert = Below(CertSeed(jitter_seed, cert.fingerprint) ^ kThresholdSalt, span / 2);
  return (device + per_cert) % (span + 1);
}

CertSchedule ScheduleFor(const Policy& policy, const CertTimes& cert, int64_t retry_floor) {
  CertSchedule s;
  int64_t lifetime = std::max<int64_t>(1, cert.not_after - cert.not_before);
  Span threshold = policy.threshold, retry = policy.retry;
  if (threshold.kind == Span::Kind::kSeconds && threshold.value >= lifetime) {
    s.error = "threshold '" + threshold.text + "' is longer than the lifetime of the cert (" +
              std::to_string(lifetime) + " s); renewing at 80% instead";
    threshold = Span::Percent(80);
  }
  if (retry.kind == Span::Kind::kSeconds && retry.value >= lifetime) {
    s.error += std::string(s.error.empty() ? "" : "; ") + "retry '" + retry.text +
               "' is longer than the lifetime of the cert (" + std::to_string(lifetime) +
               " s); retrying after 4% instead";
    retry = Span::Percent(4);
  }
  s.threshold_at = threshold.kind == Span::Kind::kPercent ? cert.not_before + threshold.Of(lifetime)
                                                          : cert.not_after - threshold.value;
  s.retry_interval = std::max({retry.Of(lifetime), retry_floor, int64_t{1}});
  return s;
}

Decision Decide(const DecisionInput& in) {
  const Policy& policy = *in.policy;
  const AttemptState& state = *in.state;
  int64_t floor = std::max<int64_t>(1, in.retry_floor);
  if (!policy.auto_renew) return {};
  if (!in.cert->has_value()) {
    if (state.attempts == 0 || !state.for_cert.empty()) return Decision{in.now, {}};
    int64_t cap = std::max(floor, policy.retry.Of(kNominalLifetime));
    int shift = std::min(state.attempts - 1, 20);
    int64_t interval = std::min(cap, floor << shift);
    return Decision{NextRetry(state, interval, in.now, in.jitter_seed), {}};
  }
  const CertTimes& cert = **in.cert;
  CertSchedule s = ScheduleFor(policy, cert, floor);
  bool failing = state.attempts > 0 && state.for_cert == cert.fingerprint;
  // Failing means the threshold had passed when the attempts were made: retries follow `retry`
  // alone, so a clock set back before the threshold does not postpone them.
  uint64_t seed = CertSeed(in.jitter_seed, cert.fingerprint);
  if (failing) return Decision{NextRetry(state, s.retry_interval, in.now, seed), s.error};
  // Earlier, never later, by up to kThresholdJitterPercent of the renewal window: a fleet made in
  // one hour does not renew in one hour forever.
  int64_t at = s.threshold_at - ThresholdJitter(cert, s.threshold_at, in.jitter_seed);
  // A cert that is due as soon as it is issued (an EST server handing out certs shorter than the
  // floor, or backdated ones) is renewed at most once per floor, not in a loop.
  if (state.last_attempt > 0)
    at = std::max(at, std::min(state.last_attempt + floor, in.now + floor));
  return Decision{at, s.error};
}

std::optional<int64_t> WarningDue(const Policy& policy, const CertTimes& cert, int64_t now,
                                  int64_t warned_up_to) {
  int64_t left = cert.not_after - now;
  std::optional<int64_t> due;
  if (left <= 0) {
    due = 0;
  } else {
    for (const Span& w : policy.expiry_warnings)
      if (w.kind == Span::Kind::kSeconds && left <= w.value && (!due || w.value < *due))
        due = w.value;
  }
  if (!due || *due >= warned_up_to) return std::nullopt;
  return due;
}

std::optional<int64_t> NextWarningAt(const Policy& policy, const CertTimes& cert, int64_t now,
                                     int64_t warned_up_to) {
  std::optional<int64_t> next;
  auto consider = [&](int64_t delta) {
    int64_t at = cert.not_after - delta;
    if (delta < warned_up_to && at > now && (!next || at < *next)) next = at;
  };
  for (const Span& w : policy.expiry_warnings)
    if (w.kind == Span::Kind::kSeconds) consider(w.value);
  consider(0);  // "has expired"
  return next;
}

}  // namespace edgesec::certd::renewal

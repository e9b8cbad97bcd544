// fleet-renewal: 10,000 devices provisioned within one hour renew against one EST server over two
// years of simulated time, with certd's real renewal decision (certd/renewal/decision.hpp) and an
// injected clock: a discrete-event simulation (a priority queue of each device's next due time, no
// sleeping). A request succeeds unless the CA is down: a new cert, notBefore = the request's time,
// the same lifetime; a failure updates the attempt state as certd's Tracker::Failed does
// (attempts + 1, last attempt, for that cert) and Decide() says when the device tries again.
// Factory provisioning is not a CA request (the certs are made in bulk offline: `edgectl
// provision`); requests counted are every renewal attempt the devices make, failed ones included.
//
// 1. Load: for lifetimes of 1, 7, 30 and 365 days (threshold 80%, retry 4%, the defaults) and a
//    6-hour CA outage in the middle, the CA's requests per bucket (minute, hour, day): peak ÷ mean
//    in the steady state (the last 180 days: well after the first renewals and the outage) and
//    right after the outage (peak in the 7 days after it ÷ the steady mean), with the Poisson
//    expectation of peak ÷ mean for the same mean and bucket count (what pure noise gives). The
//    goals (≤ 3 steady, ≤ 10 after the outage) are judged per lifetime on the smallest bucket
//    whose steady mean is at least 20 requests (below that, Poisson noise alone exceeds 3).
//    Each device has its own random jitter salt, as certd makes one per device (renewal.json);
//    one more row gives every device the same salt (a cloned renewal.json), for comparison.
// 2. Expiry: outages of several lengths against 1-day certs, the fleet's first notBefores spread
//    over one lifetime (so that the outage starts just as some device reaches its threshold, the
//    worst case): no cert expires during an outage shorter than the retry window (notAfter −
//    threshold − 1.1 × retry), and the bench does see expiries when the outage is longer than the
//    renewal window.
//
//   fleet-renewal [--quick]   (--quick: 1,000 devices, 90 days; a smoke run)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "certd/renewal/decision.hpp"

using namespace edgesec::certd::renewal;

namespace {

constexpr int64_t kMinute = 60, kHour = 3600, kDay = 86400;
constexpr int64_t kT0 = 1'900'000'000;  // the factory's first notBefore
// certd seeds its jitter with the credential id — the same on every device of a fleet — xor the
// device's random salt (renewal.json); the id here, a random salt per device below.
constexpr const char* kCredentialId = "device-identity";

struct Scenario {
  std::string name;
  int64_t lifetime = kDay;
  int64_t duration = 730 * kDay;
  int64_t outage_at = 365 * kDay, outage_len = 6 * kHour;  // from kT0
  int64_t provisioned_over = kHour;  // the notBefores of the first certs spread over this
  Policy policy;
  bool one_salt = false;  // every device has the same salt (a cloned renewal.json)
};

struct Device {
  std::optional<CertTimes> cert;
  AttemptState state;
  int generation = 0;
  bool expired = false;  // its cert expired before a renewal succeeded, at least once
};

struct Outcome {
  std::vector<uint32_t> per_minute;  // requests received in each minute from kT0
  int64_t requests = 0, failures = 0, not_in_future = 0;
  int expired_devices = 0;
  int64_t longest_lapse = 0;  // the longest time a device was without a valid cert
};

std::string Fingerprint(int device, int generation) {
  return std::to_string(device) + "/" + std::to_string(generation);
}

// One request from `d` at `t`: certd's success or failure bookkeeping.
void Request(Device& d, int index, int64_t t, bool ca_down, const Scenario& sc, Outcome& out) {
  ++out.requests;
  if (ca_down) {
    ++out.failures;
    const std::string& fp = d.cert->fingerprint;
    if (d.state.for_cert != fp) d.state.attempts = 0;
    d.state.attempts += 1;
    d.state.last_error = "CA down";
    d.state.for_cert = fp;
    d.state.last_attempt = t;
    return;
  }
  if (t >= d.cert->not_after) {
    out.longest_lapse = std::max(out.longest_lapse, t - d.cert->not_after);
    d.expired = true;
  }
  d.cert = CertTimes{t, t + sc.lifetime, Fingerprint(index, ++d.generation)};
  d.state = AttemptState{0, t, "", ""};
}

Outcome Simulate(const Scenario& sc, int devices, uint64_t rng_seed) {
  Outcome out;
  out.per_minute.assign(static_cast<size_t>(sc.duration / kMinute) + 1, 0);
  std::mt19937_64 rng(rng_seed);
  const uint64_t seed = JitterSeed(kCredentialId);
  std::vector<Device> fleet(static_cast<size_t>(devices));
  std::vector<uint64_t> salt(fleet.size(), 0x5a17);
  if (!sc.one_salt)
    for (uint64_t& s : salt) s = rng();
  using Event = std::pair<int64_t, int>;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> due;
  auto next = [&](Device& d, int index, int64_t now) {
    DecisionInput in{&sc.policy, &d.cert, &d.state,
                     now,        60,      seed ^ salt[static_cast<size_t>(index)]};
    int64_t at = *Decide(in).at;
    if (at <= now) ++out.not_in_future, at = now + 1;  // certd would loop: count it, move on
    due.emplace(at, index);
  };
  for (int i = 0; i < devices; ++i) {  // provisioned within one hour (by default)
    int64_t nb = kT0 + static_cast<int64_t>(rng() % static_cast<uint64_t>(sc.provisioned_over));
    fleet[static_cast<size_t>(i)].cert = CertTimes{nb, nb + sc.lifetime, Fingerprint(i, 0)};
    next(fleet[static_cast<size_t>(i)], i, nb);
  }
  const int64_t end = kT0 + sc.duration;
  const int64_t down_from = kT0 + sc.outage_at, down_to = down_from + sc.outage_len;
  while (!due.empty() && due.top().first < end) {
    auto [t, i] = due.top();
    due.pop();
    Device& d = fleet[static_cast<size_t>(i)];
    out.per_minute[static_cast<size_t>((t - kT0) / kMinute)] += 1;
    Request(d, i, t, t >= down_from && t < down_to, sc, out);
    next(d, i, t);
  }
  for (Device& d : fleet) {
    if (d.cert->not_after < end && !d.expired) {
      d.expired = true;  // expired and never renewed before the end
      out.longest_lapse = std::max(out.longest_lapse, end - d.cert->not_after);
    }
    out.expired_devices += d.expired ? 1 : 0;
  }
  return out;
}

// The expected maximum of `m` independent Poisson(λ) counts.
double PoissonExpectedMax(double lambda, int64_t m) {
  if (lambda <= 0 || m <= 0) return 0;
  double log_pmf = -lambda, cdf = 0, expected = 0;
  for (int64_t k = 0; k < static_cast<int64_t>(lambda + 40 * std::sqrt(lambda) + 60); ++k) {
    if (k > 0) log_pmf += std::log(lambda) - std::log(static_cast<double>(k));
    cdf = std::min(1.0, cdf + std::exp(log_pmf));
    double p_max_above = 1 - std::exp(static_cast<double>(m) * std::log(std::max(cdf, 1e-300)));
    expected += p_max_above;  // E[max] = Σ_k P(max > k)
    if (p_max_above < 1e-12 && static_cast<double>(k) > lambda) break;
  }
  return expected;
}

struct Buckets {
  double mean = 0;
  uint32_t peak = 0;
  int64_t count = 0;
};

// Requests per bucket of `width` minutes over minutes [from, to) (whole buckets only).
Buckets Bucketize(const std::vector<uint32_t>& per_minute, int64_t from, int64_t to,
                  int64_t width) {
  Buckets b;
  uint64_t total = 0;
  to = std::min<int64_t>(to, static_cast<int64_t>(per_minute.size()));
  for (int64_t start = from; start + width <= to; start += width, ++b.count) {
    uint32_t sum = 0;
    for (int64_t m = start; m < start + width; ++m) sum += per_minute[static_cast<size_t>(m)];
    b.peak = std::max(b.peak, sum);
    total += sum;
  }
  if (b.count > 0) b.mean = static_cast<double>(total) / static_cast<double>(b.count);
  return b;
}

struct Judged {
  bool found = false;
  const char* bucket = "";
  double steady = 0, after = 0;
  bool outage_met_renewals = false;  // some request failed
  bool comparison = false;           // not a goal: a row to compare with
  int expired_devices = 0;
  double renewals_per_device = 0;
};

// Prints one lifetime's rows (minute, hour, day) and returns the row the goals are judged on.
Judged LoadTable(const Scenario& sc, const Outcome& o) {
  struct Width {
    const char* name;
    int64_t minutes;
  };
  const Width widths[] = {{"minute", 1}, {"hour", 60}, {"day", 1440}};
  int64_t end_min = sc.duration / kMinute;
  int64_t steady_from = end_min - std::min<int64_t>(180 * 1440, end_min / 2);
  int64_t outage_end_min = (sc.outage_at + sc.outage_len) / kMinute;
  Judged judged;
  for (const Width& w : widths) {
    Buckets steady = Bucketize(o.per_minute, steady_from, end_min, w.minutes);
    int64_t after_from = outage_end_min - outage_end_min % w.minutes;  // the bucket it ends in
    Buckets after = Bucketize(o.per_minute, after_from, after_from + 7 * 1440, w.minutes);
    double r_steady = steady.mean > 0 ? steady.peak / steady.mean : 0;
    double r_after = steady.mean > 0 ? after.peak / steady.mean : 0;
    double noise =
        steady.mean > 0 ? PoissonExpectedMax(steady.mean, steady.count) / steady.mean : 0;
    std::printf("  %-9s %-7s %10.2f %8u %9.2f %9.2f %10u %9.2f\n", sc.name.c_str(), w.name,
                steady.mean, steady.peak, r_steady, noise, after.peak, r_after);
    if (!judged.found && steady.mean >= 20) judged = Judged{true, w.name, r_steady, r_after};
  }
  judged.outage_met_renewals = o.failures > 0;
  return judged;
}

Scenario WithLifetime(const std::string& name, int64_t lifetime, int64_t duration) {
  Scenario sc;
  sc.name = name;
  sc.lifetime = lifetime;
  sc.duration = duration;
  sc.outage_at = duration / 2;
  return sc;
}

int LoadPart(int devices, int64_t duration) {
  std::printf(
      "1. CA load: %d devices provisioned within one hour, %lld days simulated, threshold "
      "80%%, retry 4%%, a 6-hour CA outage at day %lld\n",
      devices, static_cast<long long>(duration / kDay),
      static_cast<long long>(duration / 2 / kDay));
  std::printf(
      "   steady = the last %lld days; after = the 7 days from the outage's end, peak ÷ "
      "steady mean; noise = Poisson E[peak] ÷ mean for the steady mean and bucket count\n",
      static_cast<long long>(std::min<int64_t>(180, duration / kDay / 2)));
  std::printf("  %-9s %-7s %10s %8s %9s %9s %10s %9s\n", "lifetime", "bucket", "mean", "peak",
              "peak/mean", "noise", "after-peak", "after/mean");
  struct Row {
    const char* name;
    int64_t lifetime;
    bool one_salt;
  };
  const Row rows[] = {{"1 day", kDay, false},
                      {"7 days", 7 * kDay, false},
                      {"30 days", 30 * kDay, false},
                      {"365 days", 365 * kDay, false},
                      {"30d 1salt", 30 * kDay, true}};
  int misses = 0;
  std::vector<std::pair<std::string, Judged>> judged;
  for (const auto& [name, lifetime, one_salt] : rows) {
    Scenario sc = WithLifetime(name, lifetime, duration);
    sc.one_salt = one_salt;
    Outcome o = Simulate(sc, devices, 7);
    judged.emplace_back(name, LoadTable(sc, o));
    judged.back().second.renewals_per_device =
        static_cast<double>(o.requests - o.failures) / devices;
    judged.back().second.comparison = one_salt;
    judged.back().second.expired_devices = o.expired_devices;
    if (o.not_in_future > 0)
      std::printf("  %s: %lld decisions were not in the future (a renewal loop)\n", name,
                  static_cast<long long>(o.not_in_future));
  }
  for (const auto& [name, j] : judged) {
    if (j.comparison) {
      std::printf(
          "info steady peak/mean       %-9s (per %s) %.2f  one jitter salt for the whole "
          "fleet (a cloned renewal.json): not a goal\n",
          name.c_str(), j.bucket, j.steady);
      continue;
    }
    if (!j.found) {
      std::printf("  %-9s no bucket has a steady mean of 20 requests: not judged\n", name.c_str());
      continue;
    }
    bool ok_steady = j.steady <= 3, ok_after = j.after <= 10;
    misses += (ok_steady ? 0 : 1) + (ok_after || !j.outage_met_renewals ? 0 : 1);
    std::printf(
        "%s steady peak/mean       %-9s (per %s) %.2f  goal <= 3   (%.1f renewals per "
        "device in the run; %d devices' certs expired in the outage)\n",
        ok_steady ? "PASS" : "MISS", name.c_str(), j.bucket, j.steady, j.renewals_per_device,
        j.expired_devices);
    if (!ok_steady && j.renewals_per_device < 3)
      std::printf(
          "     %s: no steady state within the run: the factory's one-hour wave, spread by "
          "at most 25%% of the renewal window per renewal, is still a wave\n",
          name.c_str());
    if (!j.outage_met_renewals)
      std::printf("n/a  after-outage peak/mean %-9s the outage met no renewal: nothing to judge\n",
                  name.c_str());
    else
      std::printf("%s after-outage peak/mean %-9s (per %s) %.2f  goal <= 10\n",
                  ok_after ? "PASS" : "MISS", name.c_str(), j.bucket, j.after);
  }
  return misses;
}

// Outages of several lengths against 1-day certs: expiries only where the outage is longer than
// the retry window.
int ExpiryPart(int devices, int64_t duration) {
  std::printf(
      "\n2. Expiry during outages: 1-day certs, %d devices provisioned over one day, %lld "
      "days, outage at the middle\n",
      devices, static_cast<long long>(duration / kDay));
  std::printf("  %-10s %-7s %9s %11s %11s %9s %12s\n", "threshold", "outage", "window", "retry-win",
              "expired", "requests", "longest-lapse");
  struct Case {
    const char* threshold;
    int64_t outage;
  };
  const Case cases[] = {{"80%", 3 * kHour},
                        {"80%", 3 * kHour + 30 * kMinute},
                        {"80%", 4 * kHour + 30 * kMinute},
                        {"80%", 6 * kHour},
                        {"50%", 6 * kHour},
                        {"50%", 10 * kHour},
                        {"50%", 14 * kHour}};
  int misses = 0;
  for (const Case& c : cases) {
    Scenario sc = WithLifetime("1 day", kDay, duration);
    sc.policy.threshold = *ParseSpan(c.threshold);
    sc.outage_len = c.outage;
    sc.provisioned_over = kDay;  // every phase: some device reaches its threshold as the CA fails
    CertTimes probe{0, kDay, ""};
    CertSchedule s = ScheduleFor(sc.policy, probe, 60);
    int64_t window = kDay - s.threshold_at;
    int64_t retry_window = window - s.retry_interval - s.retry_interval / 10;
    Outcome o = Simulate(sc, devices, 11);
    bool shorter = c.outage<retry_window, longer = c.outage> window;
    bool ok = shorter ? o.expired_devices == 0 : longer ? o.expired_devices > 0 : true;
    misses += ok ? 0 : 1;
    std::printf("  %-10s %5.1f h %7.1f h %9.2f h %11d %9lld %10.1f min  %s\n", c.threshold,
                static_cast<double>(c.outage) / kHour, static_cast<double>(window) / kHour,
                static_cast<double>(retry_window) / kHour, o.expired_devices,
                static_cast<long long>(o.requests), static_cast<double>(o.longest_lapse) / kMinute,
                shorter  ? (ok ? "PASS (shorter than the retry window: none expired)"
                               : "MISS (shorter than the retry window, yet certs expired)")
                : longer ? (ok ? "PASS (longer than the window: expiries detected)"
                               : "MISS (longer than the window, yet no expiry seen)")
                         : "(between: either outcome)");
  }
  return misses;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (argc > 2 || (argc == 2 && !quick)) {
    std::fprintf(stderr, "usage: fleet-renewal [--quick]\n");
    return 2;
  }
  int devices = quick ? 1000 : 10000;
  int64_t duration = quick ? 90 * kDay : 730 * kDay;
  int misses = LoadPart(devices, duration);
  misses += ExpiryPart(devices, quick ? 20 * kDay : 60 * kDay);
  std::printf("\n%d goal(s) missed\n", misses);
  return 0;
}

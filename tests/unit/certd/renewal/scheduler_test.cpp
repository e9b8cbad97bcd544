// certd/renewal/scheduler on the real wall clock, without a tick: it sleeps until the next due
// renewal or expiry warning and wakes for it by itself (a timerfd), looks again at Wake(), and
// Stop() ends a sleep with nothing due. Outcomes are asserted with generous waits, not durations.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "certd/renewal/scheduler.hpp"
#include "certd/renewal/tracker.hpp"

using namespace edgesec::certd::renewal;
using edgesec::SystemClock;

namespace {

constexpr int64_t kDay = 86400;

// What the scheduler's callbacks saw, waited for from the test's thread.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> renewed;
  std::vector<int64_t> warned;  // deltas

  template <class Pred>
  bool WaitFor(Pred pred, int seconds = 30) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(seconds), pred);
  }
};

// A renewal that succeeds with a fresh 100-day cert (not due again for 80 days).
Scheduler::RenewFn Renewing(Tracker& t, const SystemClock& clock, Seen& seen) {
  return [&t, &clock, &seen](const std::string& id) {
    t.Begin(id);
    t.SetCert(id, CertTimes{clock.Now(), clock.Now() + 100 * kDay, "renewed"});
    t.Succeeded(id);
    std::lock_guard lock(seen.mutex);
    seen.renewed.push_back(id);
    seen.changed.notify_all();
  };
}

Scheduler::WarnFn Warner(Seen& seen) {
  return [&seen](const Warning& w) {
    std::lock_guard lock(seen.mutex);
    seen.warned.push_back(w.delta);
    seen.changed.notify_all();
  };
}

}  // namespace

TEST_CASE("without a tick, the scheduler wakes by itself at the next due renewal") {
  SystemClock clock;
  Tracker t(clock, "", 60);
  t.SetPolicies({{"a", Policy{}}});
  int64_t now = clock.Now();
  // 80% of a 100 s lifetime: due 5 s from now.
  t.SetCert("a", CertTimes{now - 75, now + 25, "first"});
  Seen seen;
  Scheduler s(clock, t, Renewing(t, clock, seen), Warner(seen), 0);
  int64_t wait = s.RunOnce();  // not due yet: nothing renewed, the time to the renewal answered
  CHECK(wait > 0);
  CHECK(wait <= 5);
  REQUIRE(seen.renewed.empty());
  s.Start(0);
  CHECK(seen.WaitFor([&] { return !seen.renewed.empty(); }));
  s.Stop();
  CHECK(seen.renewed == std::vector<std::string>{"a"});
}

TEST_CASE("without a tick, the scheduler wakes by itself for the next expiry warning") {
  SystemClock clock;
  Tracker t(clock, "", 60);
  Policy never;
  never.auto_renew = false;
  t.SetPolicies({{"a", never}});
  // Past the 30d and 7d warnings; the 1d warning is due 4 s from now.
  t.SetCert("a", CertTimes{clock.Now() - 30 * kDay, clock.Now() + kDay + 4, "cert"});
  Seen seen;
  Scheduler s(clock, t, Renewing(t, clock, seen), Warner(seen), 0);
  int64_t wait = s.RunOnce();
  CHECK(wait > 0);
  CHECK(wait <= 4);
  REQUIRE(seen.warned == std::vector<int64_t>{7 * kDay});
  s.Start(0);
  CHECK(seen.WaitFor([&] { return seen.warned.size() == 2; }));
  s.Stop();
  CHECK(seen.warned == std::vector<int64_t>{7 * kDay, kDay});
  CHECK(seen.renewed.empty());
}

TEST_CASE("nothing due: the scheduler sleeps without a timeout, Wake() makes it look, Stop() ends it") {
  SystemClock clock;
  Tracker t(clock, "", 60);
  Seen seen;
  Scheduler s(clock, t, Renewing(t, clock, seen), Warner(seen), 0);
  CHECK(s.RunOnce() == Scheduler::kNothingDue);
  s.Start(0);
  // A credential without a cert is due at once, but only a look finds it.
  t.SetPolicies({{"new", Policy{}}});
  s.Wake();
  CHECK(seen.WaitFor([&] { return !seen.renewed.empty(); }));
  s.Stop();  // returns: the sleep with nothing due ends
  CHECK(seen.renewed == std::vector<std::string>{"new"});
}

TEST_CASE("a tick, when set, bounds the sleep") {
  SystemClock clock;
  Tracker t(clock, "", 60);
  Seen seen;
  Scheduler s(clock, t, Renewing(t, clock, seen), Warner(seen), 0);
  s.SetTick(5);
  CHECK(s.RunOnce() == 5);
  t.SetPolicies({{"a", Policy{}}});
  t.SetCert("a", CertTimes{clock.Now(), clock.Now() + 100 * kDay, "cert"});
  CHECK(s.RunOnce() == 5);
  s.SetTick(0);
  int64_t wait = s.RunOnce();  // the 30d warning, 70 days away
  CHECK(wait > 69 * kDay);
  CHECK(wait <= 70 * kDay);
}

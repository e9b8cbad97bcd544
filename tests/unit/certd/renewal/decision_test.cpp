// certd/renewal/decision and tracker with a fake clock: thresholds in % and absolute time with
// their jitter (earlier only, bounded, deterministic, per seed and cert), retries with jitter and a
// floor, wall clock jumps forward (past expiry) and back, restarts (persisted
// state), and 10,000 credentials after a jump: no storm.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "certd/renewal/decision.hpp"
#include "certd/renewal/scheduler.hpp"
#include "certd/renewal/tracker.hpp"
#include "tests/support/temp_root.hpp"

using namespace edgesec::certd::renewal;
using edgesec::FakeClock;

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kT0 = 1'900'000'000;  // notBefore of the test certs

CertTimes Cert(int64_t days, const std::string& fp = "AA") {
  return CertTimes{kT0, kT0 + days * kDay, fp};
}

Decision DecideAt(const Policy& p, const std::optional<CertTimes>& c, const AttemptState& st,
                  int64_t now, int64_t floor = 60) {
  DecisionInput in{&p, &c, &st, now, floor, 42};
  return Decide(in);
}

Policy WithSpans(const std::string& threshold, const std::string& retry) {
  Policy p;
  p.threshold = *ParseSpan(threshold);
  p.retry = *ParseSpan(retry);
  return p;
}

}  // namespace

TEST_CASE("80% of a 100-day cert is due 20 days before expiry; an absolute threshold counts back from notAfter") {
  std::optional<CertTimes> c = Cert(100);
  AttemptState none;
  // Made earlier by the threshold jitter of seed 42 and fingerprint "AA": at most 25% of the
  // window (5 d, 2.5 d, and for 1% a quarter of the 1 d before the threshold).
  CHECK(*DecideAt(Policy{}, c, none, kT0).at == kT0 + 80 * kDay - 426022);
  CHECK(*DecideAt(WithSpans("10d", "4%"), c, none, kT0).at == kT0 + 90 * kDay - 210954);
  CHECK(*DecideAt(WithSpans("1%", "4%"), c, none, kT0).at == kT0 + kDay - 16692);
  CHECK(DecideAt(Policy{}, c, none, kT0).error.empty());
}

TEST_CASE("a threshold or retry longer than the lifetime is an error and the defaults apply") {
  std::optional<CertTimes> c = Cert(10);
  Decision d = DecideAt(WithSpans("30d", "4%"), c, AttemptState{}, kT0);
  CHECK_THAT(d.error, Catch::Contains("threshold '30d' is longer than the lifetime"));
  CHECK(*d.at == kT0 + 8 * kDay - 12865);  // 80% less the jitter (at most 0.5 d)
  d = DecideAt(WithSpans("80%", "11d"), c, AttemptState{}, kT0);
  CHECK_THAT(d.error, Catch::Contains("retry '11d' is longer than the lifetime"));
}

TEST_CASE("the threshold jitter is earlier only, bounded by 25% of the window, deterministic, per seed and per cert") {
  Policy p;
  AttemptState none;
  int64_t threshold = kT0 + 80 * kDay, span = 20 * kDay / 4;
  std::set<int64_t> per_seed, per_cert;
  int bins[10] = {};
  for (int i = 0; i < 10000; ++i) {
    std::optional<CertTimes> c = Cert(100, "AA");
    DecisionInput in{&p, &c, &none, kT0, 60, static_cast<uint64_t>(i)};
    int64_t at = *Decide(in).at;
    REQUIRE(at <= threshold);  // never later
    REQUIRE(at >= threshold - span);
    CHECK(*Decide(in).at == at);  // deterministic: a restart does not move it
    per_seed.insert(at);
    bins[std::min<int64_t>(9, (threshold - at) * 10 / (span + 1))] += 1;
    // The same seed on every device of a fleet (the credential id): the certs differ.
    std::optional<CertTimes> other = Cert(100, "fp-" + std::to_string(i));
    DecisionInput same_seed{&p, &other, &none, kT0, 60, 42};
    per_cert.insert(*Decide(same_seed).at);
  }
  CHECK(per_seed.size() > 9800);  // 10,000 draws from 432,001 values: ~116 birthday collisions
  CHECK(per_cert.size() > 9500);  // the cert moves it within half the span: ~230 collisions
  for (int b : bins) CHECK((b > 850 && b < 1150));  // roughly uniform over the span
  // A 1% threshold is not moved before notBefore: at least 75% of the day before it is kept.
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    std::optional<CertTimes> c = Cert(100);
    Policy one = WithSpans("1%", "4%");
    DecisionInput in{&one, &c, &none, kT0, 60, seed};
    int64_t at = *Decide(in).at;
    CHECK((at >= kT0 + kDay * 3 / 4 && at <= kT0 + kDay));
  }
}

TEST_CASE("a clock moved just past the threshold finds the cert due whatever its jitter") {
  AttemptState none;
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    std::optional<CertTimes> c = Cert(365, "X" + std::to_string(seed));
    Policy half = WithSpans("50%", "4%");
    DecisionInput in{&half, &c, &none, kT0 + 365 * kDay / 2 + 1, 60, seed};
    CHECK(*Decide(in).at <= in.now);
  }
}

TEST_CASE("auto_renew = false is never due; no cert is due at once (initial issuance)") {
  Policy off;
  off.auto_renew = false;
  std::optional<CertTimes> c = Cert(100);
  CHECK_FALSE(DecideAt(off, c, AttemptState{}, kT0 + 200 * kDay).at);
  CHECK(*DecideAt(Policy{}, std::nullopt, AttemptState{}, kT0).at == kT0);
}

TEST_CASE("failed attempts retry after `retry` with bounded jitter, never sooner than the floor") {
  std::optional<CertTimes> c = Cert(100);
  AttemptState failed{1, kT0 + 81 * kDay, "EST server down", "AA"};
  int64_t now = kT0 + 81 * kDay;
  int64_t at = *DecideAt(Policy{}, c, failed, now).at;
  CHECK(at >= now + 4 * kDay);
  CHECK(at <= now + 4 * kDay + 4 * kDay / 10);
  // A tiny retry is raised to the floor.
  at = *DecideAt(WithSpans("80%", "1m"), c, failed, now, 3600).at;
  CHECK(at >= now + 3600);
  CHECK(at <= now + 3600 + 360);
  // Jitter differs between credentials (seeds) but stays within 10%.
  std::set<int64_t> seen;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Policy p;
    DecisionInput in{&p, &c, &failed, now, 60, seed};
    int64_t t = *Decide(in).at;
    CHECK((t >= now + 4 * kDay && t <= now + 4 * kDay + 4 * kDay / 10));
    seen.insert(t);
  }
  CHECK(seen.size() > 10);
  // The same seed (credential id) on every device: the retries of different certs differ too.
  seen.clear();
  for (int i = 0; i < 50; ++i) {
    Policy p;
    std::optional<CertTimes> other = Cert(100, "fp-" + std::to_string(i));
    AttemptState f{1, now, "EST server down", "fp-" + std::to_string(i)};
    DecisionInput in{&p, &other, &f, now, 60, 42};
    int64_t t = *Decide(in).at;
    CHECK((t >= now + 4 * kDay && t <= now + 4 * kDay + 4 * kDay / 10));
    seen.insert(t);
  }
  CHECK(seen.size() > 40);
  // Failures recorded for an earlier cert (since replaced) do not delay the new one beyond the
  // floor after the last attempt.
  AttemptState old_cert{3, now - 3600, "x", "BB"};
  CHECK(*DecideAt(Policy{}, c, old_cert, now).at <= now);
  AttemptState just_now{3, now, "x", "BB"};
  CHECK(*DecideAt(Policy{}, c, just_now, now).at == now + 60);
}

TEST_CASE("initial issuance retries back off from the floor") {
  Policy p;
  int64_t now = kT0;
  int64_t prev = 0;
  for (int attempts = 1; attempts <= 12; ++attempts) {
    AttemptState st{attempts, now, "keyd unavailable", ""};
    int64_t wait = *DecideAt(p, std::nullopt, st, now, 60).at - now;
    CHECK(wait >= 60);
    CHECK(wait <= 4 * kDay / 100 + 4 * kDay / 1000 + 1);  // capped at 4% of a day (+ jitter)
    CHECK(wait >= prev * 9 / 10);
    prev = wait;
  }
}

TEST_CASE("a forward clock jump past expiry makes one attempt, then retries spaced by retry") {
  std::optional<CertTimes> c = Cert(100);
  int64_t jumped = kT0 + 400 * kDay;  // long past notAfter
  CHECK(*DecideAt(Policy{}, c, AttemptState{}, jumped).at <= jumped);
  AttemptState failed{1, jumped, "down", "AA"};
  int64_t next = *DecideAt(Policy{}, c, failed, jumped).at;
  CHECK(next >= jumped + 4 * kDay);
  // A restart long after the last failure: due at once, once.
  CHECK(*DecideAt(Policy{}, c, failed, jumped + 30 * kDay).at <= jumped + 30 * kDay);
}

TEST_CASE("a backward clock jump never postpones a renewal that was already being retried") {
  std::optional<CertTimes> c = Cert(100);
  int64_t failed_at = kT0 + 85 * kDay;
  AttemptState failed{2, failed_at, "down", "AA"};
  int64_t back = kT0 + 10 * kDay;  // the clock went back 75 days
  int64_t at = *DecideAt(Policy{}, c, failed, back).at;
  CHECK(at <= back + 4 * kDay + 4 * kDay / 10);  // within its own interval from now
  CHECK(at >= back + 4 * kDay);
  // After a success the next renewal is not sooner than the floor (no loop on a cert that is due
  // as soon as it is issued), also after the clock went back.
  std::optional<CertTimes> short_cert = CertTimes{kT0, kT0 + 100, "CC"};
  AttemptState ok{0, kT0 + 90, "", ""};
  CHECK(*DecideAt(Policy{}, short_cert, ok, kT0 + 90, 60).at == kT0 + 150);
  CHECK(*DecideAt(Policy{}, short_cert, ok, kT0 + 100, 60).at == kT0 + 150);
  CHECK(*DecideAt(Policy{}, short_cert, ok, kT0 - 1000, 60).at == kT0 + 79);  // threshold − jitter
}

TEST_CASE("expiry warnings: the smallest crossed delta, once; expired is delta 0") {
  Policy p;
  CertTimes c = Cert(100);
  int64_t none = INT64_MAX;
  CHECK_FALSE(WarningDue(p, c, kT0, none));
  CHECK(*WarningDue(p, c, c.not_after - 29 * kDay, none) == 30 * kDay);
  CHECK_FALSE(WarningDue(p, c, c.not_after - 29 * kDay, 30 * kDay));
  CHECK(*WarningDue(p, c, c.not_after - 5 * kDay, none) == 7 * kDay);
  CHECK(*WarningDue(p, c, c.not_after - 5 * kDay, 30 * kDay) == 7 * kDay);
  CHECK(*WarningDue(p, c, c.not_after + 1, 86400) == 0);
  CHECK_FALSE(WarningDue(p, c, c.not_after + 1, 0));
}

TEST_CASE("the tracker persists attempts and warnings across a restart") {
  edgesec::testing::TempDir dir;
  std::string file = dir.path() + "/renewal.json";
  FakeClock clock(kT0 + 85 * kDay);
  {
    Tracker t(clock, file, 60);
    t.SetPolicies({{"a", Policy{}}, {"b", Policy{}}});
    t.SetCert("a", Cert(100, "AA"));
    t.SetCert("b", Cert(100, "BB"));
    CHECK(t.PlanAt(clock.Now()).due.size() == 2);
    t.Begin("a");
    CHECK(t.View("a")->StateName(clock.Now()) == "renewing");
    t.Failed("a", "EST server answered 500");
    CHECK(t.TakeWarnings(clock.Now()).size() == 2);  // 30d for both
    CHECK(t.TakeWarnings(clock.Now()).empty());
  }
  Tracker t(clock, file, 60);
  REQUIRE(t.Load());
  t.SetPolicies({{"a", Policy{}}, {"b", Policy{}}});
  t.SetCert("a", Cert(100, "AA"));
  t.SetCert("b", Cert(100, "BB"));
  auto a = t.View("a");
  CHECK(a->state.attempts == 1);
  CHECK(a->state.last_error == "EST server answered 500");
  CHECK(a->StateName(clock.Now()) == "failed");
  CHECK(*a->decision.at >= clock.Now() + 4 * kDay);
  CHECK(t.TakeWarnings(clock.Now()).empty());  // remembered
  // b is still due (its threshold passed); a is not.
  CHECK(t.PlanAt(clock.Now()).due == std::vector<std::string>{"b"});
  // A new cert (another fingerprint) for b gets its own warnings.
  t.SetCert("b", CertTimes{clock.Now() - kDay, clock.Now() + 20 * kDay, "B2"});
  auto w = t.TakeWarnings(clock.Now());
  REQUIRE(w.size() == 1);
  CHECK(w[0].id == "b");
}

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The due time of credential "device" (a 100-day cert "AA") in a tracker on `file`.
int64_t DueWith(const FakeClock& clock, const std::string& file) {
  Tracker t(clock, file, 60);
  REQUIRE(t.Load());
  t.SetPolicies({{"device", Policy{}}});
  t.SetCert("device", Cert(100, "AA"));
  return *t.View("device")->decision.at;
}

}  // namespace

TEST_CASE("the tracker's jitter salt is made once per device, kept across restarts, different per device") {
  edgesec::testing::TempDir dir;
  FakeClock clock(kT0);
  std::string file = dir.path() + "/renewal.json";
  int64_t at = DueWith(clock, file);
  CHECK_THAT(Slurp(file), Catch::Contains("\"jitterSalt\": \""));  // written by the first Load
  CHECK(DueWith(clock, file) == at);                                // a restart: the same time
  // Twenty devices with the same credential and the same cert: twenty salts, twenty due times.
  std::set<int64_t> devices{at};
  for (int i = 0; i < 19; ++i) {
    int64_t other = DueWith(clock, dir.path() + "/device-" + std::to_string(i) + ".json");
    CHECK((other <= kT0 + 80 * kDay && other >= kT0 + 75 * kDay));
    devices.insert(other);
  }
  CHECK(devices.size() >= 19);
  // No state file (tests, benchmarks): no salt, the same time every time.
  CHECK(DueWith(clock, "") == DueWith(clock, ""));
}

TEST_CASE("a renewal.json from before salts keeps its attempts when the salt is added") {
  edgesec::testing::TempDir dir;
  FakeClock clock(kT0 + 85 * kDay);
  std::string file = dir.path() + "/renewal.json";
  {
    std::ofstream out(file);
    out << R"({"format":1,"credentials":{"device":{"attempts":2,"lastAttempt":)" << kT0 + 84 * kDay
        << R"(,"lastError":"EST down","forCert":"AA"}}})";
  }
  {
    Tracker t(clock, file, 60);
    REQUIRE(t.Load());
  }
  std::string text = Slurp(file);
  CHECK_THAT(text, Catch::Contains("\"jitterSalt\"") && Catch::Contains("EST down"));
  Tracker t(clock, file, 60);
  REQUIRE(t.Load());
  t.SetPolicies({{"device", Policy{}}});
  t.SetCert("device", Cert(100, "AA"));
  CHECK(t.View("device")->state.attempts == 2);
}

TEST_CASE("a malformed jitter salt is a damaged renewal state: kept aside and a new salt made") {
  edgesec::testing::TempDir dir;
  FakeClock clock(kT0);
  std::string file = dir.path() + "/renewal.json";
  {
    std::ofstream out(file);
    out << R"({"format":1,"jitterSalt":"not-hex","credentials":{}})";
  }
  DueWith(clock, file);
  std::string text = Slurp(file);
  auto at = text.find("\"jitterSalt\": \"");
  REQUIRE(at != std::string::npos);
  std::string salt = text.substr(at + 15, 16);
  CHECK(salt.find_first_not_of("0123456789abcdef") == std::string::npos);
  int aside = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path()))
    aside += f.path().filename().string().rfind("renewal.json.bad-", 0) == 0 ? 1 : 0;
  CHECK(aside == 1);
}

TEST_CASE("after the clock went back, the tracker's retry stays one interval ahead instead of receding") {
  FakeClock clock(kT0 + 85 * kDay);
  Tracker t(clock, "", 60);
  t.SetPolicies({{"a", Policy{}}});
  t.SetCert("a", Cert(100, "AA"));
  t.Begin("a");
  t.Failed("a", "down");
  clock.Set(kT0 + 10 * kDay);  // 75 days back
  auto plan = t.PlanAt(clock.Now());
  CHECK(plan.due.empty());
  REQUIRE(plan.next_at);
  CHECK(*plan.next_at <= clock.Now() + 4 * kDay + 4 * kDay / 10);
  int64_t at = *plan.next_at;
  clock.Advance(kDay);
  CHECK(*t.PlanAt(clock.Now()).next_at == at);  // fixed, not moving with the clock
  clock.Set(at);
  CHECK(t.PlanAt(clock.Now()).due == std::vector<std::string>{"a"});
}

TEST_CASE("10,000 credentials past expiry after a clock jump: each attempted once, then spaced retries") {
  FakeClock clock(kT0);
  Tracker t(clock, "", 60);
  std::map<std::string, Policy> policies;
  for (int i = 0; i < 10000; ++i) policies["cred-" + std::to_string(i)] = Policy{};
  t.SetPolicies(policies);
  for (int i = 0; i < 10000; ++i) t.SetCert("cred-" + std::to_string(i), Cert(30, std::to_string(i)));
  int attempts = 0;
  Scheduler s(
      clock, t,
      [&](const std::string& id) {
        ++attempts;
        t.Begin(id);
        t.Failed(id, "down");
      },
      [](const Warning&) {}, 0);
  CHECK(s.RunOnce() > 0);  // nothing due at kT0
  CHECK(attempts == 0);
  clock.Set(kT0 + 365 * kDay);  // a year forward, long past expiry
  CHECK(s.RunOnce() == 0);
  CHECK(attempts == 10000);  // one attempt each, no more
  int64_t wait = s.RunOnce();
  CHECK(attempts == 10000);
  // The next retries are spread by jitter over 10% of retry, not all at once.
  int64_t retry = 30 * kDay * 4 / 100;
  CHECK(wait > 0);
  clock.Advance(retry);
  s.RunOnce();
  int burst = attempts - 10000;
  CHECK(burst < 10000 / 5);
}

TEST_CASE("nothing is issued or renewed while the clock is before the build date") {
  FakeClock clock(kT0);
  Tracker t(clock, "", 60);
  t.SetPolicies({{"a", Policy{}}});  // no cert: due at once
  int renewals = 0;
  Scheduler s(clock, t, [&](const std::string&) { ++renewals; }, [](const Warning&) {}, kT0 + kDay);
  CHECK(s.RunOnce() > 0);
  CHECK(renewals == 0);
  clock.Set(kT0 + kDay);
  s.RunOnce();
  CHECK(renewals == 1);
}

// A first start with an Edge CA and certs it issues, none in the store yet: all are due at the same
// moment, and the issuer must be issued first (else the others fail with "issuer … is not in the
// store" and wait a retry interval). Chains of any depth; ties otherwise by id.
TEST_CASE("due credentials come after the due credential that issues them") {
  FakeClock clock(kT0);
  Tracker t(clock, "", 60);
  Policy leaf, intermediate, plain;
  leaf.issued_by = "m-intermediate";
  intermediate.issued_by = "z-edge-ca";
  t.SetPolicies({{"a-leaf", leaf}, {"m-intermediate", intermediate}, {"z-edge-ca", Policy{}},
                 {"b-plain", plain}});
  CHECK(t.PlanAt(clock.Now()).due ==
        std::vector<std::string>{"b-plain", "z-edge-ca", "m-intermediate", "a-leaf"});
  // An issuer that is not due (it has a valid cert) changes nothing.
  t.SetCert("z-edge-ca", Cert(100, "CA"));
  CHECK(t.PlanAt(clock.Now()).due == std::vector<std::string>{"b-plain", "m-intermediate", "a-leaf"});
}

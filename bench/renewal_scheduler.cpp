// renewal-scheduler: certd's renewal scheduler holding 10,000 credentials (no daemon, no I/O).
//   1. memory per credential: the RSS growth from adding 10,000 credentials with their policy and
//      cert times to the Tracker, divided by 10,000;
//   2. CPU per scheduling pass: one Tracker::PlanAt over 10,000 credentials (a decision each, then
//   a
//      sort of the due ones), against a baseline measured in the same run: a std::sort of 10,000
//      int64_t — the cheapest a pass that orders 10,000 times could be.
// Prints both, and the pass's ratio against the baseline.
//
//   renewal-scheduler [credentials]   (default 10000)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "certd/renewal/scheduler.hpp"
#include "certd/renewal/tracker.hpp"

using namespace edgesec::certd::renewal;
using edgesec::FakeClock;

namespace {

long RssKiB() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds per call of `f`, over at least 1 s of CPU.
template <class F>
double PerCall(F&& f) {
  for (int i = 0; i < 5; ++i) f();  // warm up
  int calls = 0;
  double start = CpuSeconds(), now = start;
  while (now - start < 1.0) {
    for (int i = 0; i < 10; ++i) f();
    calls += 10;
    now = CpuSeconds();
  }
  return (now - start) / calls;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: renewal-scheduler [credentials]\n");
    return 2;
  }
  constexpr int64_t kNow = 1'900'000'000;
  FakeClock clock(kNow);
  std::mt19937_64 rng(42);
  // Ids, policies and cert times made before measuring memory: only the Tracker's share counts.
  std::vector<std::string> ids;
  std::map<std::string, Policy> policies;
  std::vector<CertTimes> certs;
  for (int i = 0; i < n; ++i) {
    ids.push_back("module-cert-" + std::to_string(i));
    int64_t nb = kNow - static_cast<int64_t>(rng() % (300 * 86400));
    certs.push_back(CertTimes{nb, nb + 365 * 86400, std::string(95, 'A')});
  }
  for (const auto& id : ids) policies.emplace(id, Policy{});

  long rss_before = RssKiB();
  auto tracker = std::make_unique<Tracker>(clock, "", 60);
  tracker->SetPolicies(policies);
  for (int i = 0; i < n; ++i) tracker->SetCert(ids[i], certs[i]);
  long rss_after = RssKiB();

  double pass = PerCall([&] { (void)tracker->PlanAt(clock.Now()); });
  std::vector<int64_t> times(n);
  for (auto& t : times) t = static_cast<int64_t>(rng());
  std::vector<int64_t> scratch;
  double baseline = PerCall([&] {
    scratch = times;
    std::sort(scratch.begin(), scratch.end());
  });
  auto plan = tracker->PlanAt(clock.Now());
  // A whole scheduler pass (warnings + plan) with nothing due.
  Scheduler scheduler(
      clock, *tracker, [](const std::string&) {}, [](const Warning&) {}, 0);
  scheduler.RunOnce();  // the first pass gives the warnings due; the next ones find none
  double full = PerCall([&] { (void)scheduler.RunOnce(); });

  std::printf("renewal-scheduler: %d credentials (%zu due now)\n", n, plan.due.size());
  std::printf("  memory per credential:   %.0f bytes (RSS %+ld KiB)\n",
              static_cast<double>(rss_after - rss_before) * 1024.0 / n, rss_after - rss_before);
  std::printf("  baseline (sort %d int64): %8.3f ms\n", n, baseline * 1e3);
  std::printf("  PlanAt pass:              %8.3f ms   ratio %.1fx the baseline\n", pass * 1e3,
              pass / baseline);
  std::printf("  scheduler pass (+warnings): %6.3f ms   ratio %.1fx the baseline\n", full * 1e3,
              full / baseline);
  return 0;
}

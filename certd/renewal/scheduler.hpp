#pragma once
// The renewal scheduler: one thread that wakes at the next due time or at least every `tick`,
// logs due expiry warnings, and renews due credentials one at a time through `renew` (which
// records the outcome in the Tracker). Nothing is issued or renewed while the clock is before the
// build date (not plausible yet).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "certd/renewal/tracker.hpp"
#include "common/clock.hpp"

namespace edgesec::certd::renewal {

class Scheduler {
 public:
  using RenewFn = std::function<void(const std::string& id)>;
  using WarnFn = std::function<void(const Warning& w)>;
  Scheduler(const Clock& clock, Tracker& tracker, RenewFn renew, WarnFn warn,
            int64_t plausible_after = BuildEpoch());
  ~Scheduler();
  void Start(int64_t tick_seconds);
  void SetTick(int64_t seconds);
  // Look again now (a config reload, a changed cert).
  void Wake();
  void Stop();

  // One pass without waiting: warnings, then the due renewals, one at a time. Returns 0 when it
  // renewed something (look again at once), else the seconds until the next due credential (at
  // most the tick). Public for tests and the benchmark.
  int64_t RunOnce();

 private:
  void Loop();
  const Clock& clock_;
  Tracker& tracker_;
  RenewFn renew_;
  WarnFn warn_;
  int64_t plausible_after_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false, woken_ = false, said_implausible_ = false;
  int64_t tick_ = 60;
  std::thread thread_;
};

}  // namespace edgesec::certd::renewal

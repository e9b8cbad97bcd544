#pragma once
// The renewal scheduler: one thread that sleeps until the next due renewal or expiry warning (a
// timerfd on the wall clock, which also wakes it when the wall clock is set: NTP's first sync, an
// operator's `date -s`), at a Wake() (a changed cert or config), and — only when `[renewal] tick`
// is set — at least every tick. Nothing due: no wake-up at all. It logs due expiry warnings and
// renews due credentials one at a time through `renew` (which records the outcome in the
// Tracker). Nothing is issued or renewed while the clock is before the build date (not plausible
// yet).

#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "certd/renewal/tracker.hpp"
#include "common/clock.hpp"

namespace edgesec::certd::renewal {

class Scheduler {
 public:
  using RenewFn = std::function<void(const std::string& id)>;
  using WarnFn = std::function<void(const Warning& w)>;
  // Other due work folded into the same timer (certd's CRL/OCSP refreshes): called at every pass
  // with the clock's time; does what is due and returns when it next has something due (nullopt:
  // nothing). No thread or timer of its own.
  using ExtraFn = std::function<std::optional<int64_t>(int64_t now)>;
  // RunOnce()'s answer when nothing is due, ever (and no tick): sleep until woken.
  static constexpr int64_t kNothingDue = std::numeric_limits<int64_t>::max();
  // While the clock is implausible and no tick is set: look again this often.
  static constexpr int64_t kImplausibleRecheck = 60;

  Scheduler(const Clock& clock, Tracker& tracker, RenewFn renew, WarnFn warn,
            int64_t plausible_after = BuildEpoch());
  ~Scheduler();
  // Before Start().
  void SetExtra(ExtraFn extra) { extra_ = std::move(extra); }
  // `tick_seconds` 0: no periodic look (the default).
  void Start(int64_t tick_seconds = 0);
  void SetTick(int64_t seconds);
  // Look again now (a config reload, a changed cert).
  void Wake();
  void Stop();

  // One pass without waiting: warnings, then the due renewals, one at a time. Returns 0 when it
  // renewed something (look again at once), else the seconds until the next due renewal or
  // warning (at most the tick, when one is set), or kNothingDue. Public for tests and benchmarks.
  int64_t RunOnce();

 private:
  void Loop();
  // Sleeps `seconds` of wall time at most; returns early at Wake(), Stop() or a wall-clock change.
  void Sleep(int64_t seconds);
  const Clock& clock_;
  Tracker& tracker_;
  RenewFn renew_;
  WarnFn warn_;
  ExtraFn extra_;
  int64_t plausible_after_;
  std::mutex mutex_;
  bool stop_ = false, said_implausible_ = false;
  int64_t tick_ = 0;
  int wake_fd_ = -1;   // eventfd: Wake() and Stop()
  int timer_fd_ = -1;  // timerfd on CLOCK_REALTIME, absolute, cancelled when the clock is set
  std::thread thread_;
};

}  // namespace edgesec::certd::renewal

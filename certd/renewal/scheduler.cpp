#include "certd/renewal/scheduler.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "common/log.hpp"

namespace edgesec::certd::renewal {
namespace {

constexpr int64_t kMaxArm = 10LL * 365 * 86400;  // "never": still armed, for the clock-set wake-up

// Arms `fd` for `seconds` of wall time from now, absolute, so that setting the clock cancels it
// (read() then fails with ECANCELED) — the scheduler looks again at once.
bool ArmWallTimer(int fd, int64_t seconds) {
  timespec now{};
  if (fd < 0 || ::clock_gettime(CLOCK_REALTIME, &now) != 0) return false;
  itimerspec when{};
  when.it_value.tv_sec = now.tv_sec + static_cast<time_t>(std::min(seconds, kMaxArm));
  when.it_value.tv_nsec = now.tv_nsec;
  return ::timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &when, nullptr) == 0;
}

void Drain(int fd) {
  uint64_t value = 0;
  if (fd >= 0) (void)!::read(fd, &value, sizeof value);  // EAGAIN, ECANCELED: nothing to keep
}

}  // namespace

Scheduler::Scheduler(const Clock& clock, Tracker& tracker, RenewFn renew, WarnFn warn,
                     int64_t plausible_after)
    : clock_(clock),
      tracker_(tracker),
      renew_(std::move(renew)),
      warn_(std::move(warn)),
      plausible_after_(plausible_after),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      timer_fd_(::timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) {
  if (wake_fd_ < 0 || timer_fd_ < 0)
    log::Warning("certd: the renewal scheduler has no eventfd or timerfd: it polls instead");
}

Scheduler::~Scheduler() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (timer_fd_ >= 0) ::close(timer_fd_);
}

void Scheduler::Start(int64_t tick_seconds) {
  tick_ = std::max<int64_t>(0, tick_seconds);
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::SetTick(int64_t seconds) {
  {
    std::lock_guard lock(mutex_);
    tick_ = std::max<int64_t>(0, seconds);
  }
  Wake();  // a shorter tick applies now
}

void Scheduler::Wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
}

int64_t Scheduler::RunOnce() {
  int64_t tick;
  {
    std::lock_guard lock(mutex_);
    tick = tick_;
  }
  int64_t now = clock_.Now();
  if (now < plausible_after_) {
    if (!said_implausible_)
      log::Warning("certd: the clock (" + std::to_string(now) +
                   ") is before this build's date; nothing is issued or renewed until it is set");
    said_implausible_ = true;
    return tick > 0 ? tick : kImplausibleRecheck;
  }
  said_implausible_ = false;
  for (const Warning& w : tracker_.TakeWarnings(now)) warn_(w);
  std::optional<int64_t> extra_at = extra_ ? extra_(now) : std::nullopt;
  Tracker::Plan plan = tracker_.PlanAt(now);
  for (const std::string& id : plan.due) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return 0;
    }
    renew_(id);  // one at a time; each re-checks that it is still due
  }
  if (!plan.due.empty()) return 0;  // look again at once: the clock moved on meanwhile
  std::optional<int64_t> next = plan.next_at;
  if (plan.next_warning_at && (!next || *plan.next_warning_at < *next)) next = plan.next_warning_at;
  if (extra_at && (!next || *extra_at < *next)) next = extra_at;
  if (!next) return tick > 0 ? tick : kNothingDue;
  int64_t wait = std::max<int64_t>(1, *next - now);
  return tick > 0 ? std::min(wait, tick) : wait;
}

void Scheduler::Sleep(int64_t seconds) {
  if (seconds <= 0) return;
  if (wake_fd_ < 0) {  // nothing could end a long sleep early (Stop): short ones
    ::poll(nullptr, 0, 1000);
    return;
  }
  bool armed = ArmWallTimer(timer_fd_, seconds);
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {timer_fd_, POLLIN, 0}};
  // Without a timer (no timerfd), a bounded poll; Wake() and Stop() still end it early.
  int timeout_ms = armed ? -1 : static_cast<int>(std::min<int64_t>(seconds, 60) * 1000);
  ::poll(fds, armed ? 2 : 1, timeout_ms);
  Drain(wake_fd_);
  Drain(timer_fd_);
}

void Scheduler::Loop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    int64_t wait = RunOnce();
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    Sleep(wait);
  }
}

}  // namespace edgesec::certd::renewal

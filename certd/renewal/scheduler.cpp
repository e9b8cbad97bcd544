#include "certd/renewal/scheduler.hpp"

#include <algorithm>
#include <chrono>

#include "common/log.hpp"

namespace edgesec::certd::renewal {

Scheduler::Scheduler(const Clock& clock, Tracker& tracker, RenewFn renew, WarnFn warn,
                     int64_t plausible_after)
    : clock_(clock),
      tracker_(tracker),
      renew_(std::move(renew)),
      warn_(std::move(warn)),
      plausible_after_(plausible_after) {}

Scheduler::~Scheduler() {
  Stop();
}

void Scheduler::Start(int64_t tick_seconds) {
  tick_ = std::max<int64_t>(1, tick_seconds);
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::SetTick(int64_t seconds) {
  std::lock_guard lock(mutex_);
  tick_ = std::max<int64_t>(1, seconds);
}

void Scheduler::Wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  wake_.notify_all();
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    wake_.notify_all();
  }
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
    return tick;
  }
  said_implausible_ = false;
  for (const Warning& w : tracker_.TakeWarnings(now)) warn_(w);
  Tracker::Plan plan = tracker_.PlanAt(now);
  for (const std::string& id : plan.due) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return 0;
    }
    renew_(id);  // one at a time; each re-checks that it is still due
  }
  if (!plan.due.empty()) return 0;  // look again at once: the clock moved on meanwhile
  return plan.next_at ? std::clamp<int64_t>(*plan.next_at - now, 1, tick) : tick;
}

void Scheduler::Loop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    int64_t wait = RunOnce();
    std::unique_lock lock(mutex_);
    if (stop_) return;
    if (wait <= 0) continue;
    wake_.wait_for(lock, std::chrono::seconds(wait), [this] { return stop_ || woken_; });
    woken_ = false;
  }
}

}  // namespace edgesec::certd::renewal

#include "certd/renewal/events.hpp"

#include <algorithm>
#include <chrono>

namespace edgesec::certd::renewal {

uint64_t EventBus::Bump(const std::string& cert_id) {
  std::lock_guard lock(mutex_);
  ++seq_;
  history_.emplace_back(seq_, cert_id);
  while (history_.size() > history_limit_) history_.pop_front();
  changed_.notify_all();
  return seq_;
}

uint64_t EventBus::Seq() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

EventsAnswer EventBus::AnswerLocked(uint64_t since) const {
  EventsAnswer a;
  a.seq = seq_;
  if (since == 0) return a;  // "what is the current seq?"
  if (since > seq_) {
    a.reset = true;
    return a;
  }
  // The history lost steps after `since`: the consumer cannot know what changed.
  if (since < seq_ && (history_.empty() || history_.front().first > since + 1)) {
    a.reset = true;
    return a;
  }
  for (const auto& [s, id] : history_)
    if (s > since && std::find(a.changed.begin(), a.changed.end(), id) == a.changed.end())
      a.changed.push_back(id);
  return a;
}

EventsAnswer EventBus::Wait(uint64_t since, int64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  auto done = [&] { return shutdown_ || since != seq_; };
  if (timeout_ms < 0) {
    changed_.wait(lock, done);  // no timer: an idle certd does not wake for its consumers
  } else {
    changed_.wait_until(
        lock, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms), done);
  }
  return AnswerLocked(since);
}

void EventBus::Shutdown() {
  std::lock_guard lock(mutex_);
  shutdown_ = true;
  changed_.notify_all();
}

}  // namespace edgesec::certd::renewal

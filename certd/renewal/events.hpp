#pragma once
// Change notifications for consumers (GET /events): a sequence number that starts at 1 when certd
// starts and grows by one with every change of a stored cert (issue, import, renew, delete), and a
// bounded history of which cert id each step changed.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace edgesec::certd::renewal {

struct EventsAnswer {
  uint64_t seq = 1;
  std::vector<std::string> changed;  // ids changed after `since`, each once, oldest first
  bool reset = false;  // `since` is from another process or too old: re-read everything
};

class EventBus {
 public:
  explicit EventBus(size_t history = 4096) : history_limit_(history) {}
  uint64_t Bump(const std::string& cert_id);
  uint64_t Seq() const;
  // Answers at once when something changed after `since` (or `since` is unknown), else waits up to
  // `timeout_ms` for a change (a negative `timeout_ms`: until a change or Shutdown(), with no time
  // limit); on timeout or shutdown, {seq, []}.
  EventsAnswer Wait(uint64_t since, int64_t timeout_ms);
  // Wakes every waiter (shutdown: a long-poll must not hold the server's stop).
  void Shutdown();

 private:
  EventsAnswer AnswerLocked(uint64_t since) const;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t seq_ = 1;
  std::deque<std::pair<uint64_t, std::string>> history_;
  size_t history_limit_;
  bool shutdown_ = false;
};

}  // namespace edgesec::certd::renewal

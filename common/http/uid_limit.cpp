#include "common/http/uid_limit.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "common/log.hpp"

namespace edgesec::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A uid that keeps being refused is logged again at most this often.
constexpr auto kLogInterval = std::chrono::seconds(60);
// Refusal records kept before the stale ones (not logged for kLogInterval) are dropped.
constexpr size_t kMaxRefusalRecords = 256;

}  // namespace

std::vector<uid_t> ExemptUids(const std::vector<std::string>& service_users) {
  std::vector<uid_t> uids = {0, ::geteuid()};
  for (const std::string& name : service_users) {
    passwd pw{};
    passwd* found = nullptr;
    char buf[1024];
    if (::getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr)
      uids.push_back(found->pw_uid);
  }
  return uids;
}

UidLimit::UidLimit(unsigned max) : UidLimit(max, ExemptUids(kServiceUsers)) {}

UidLimit::UidLimit(unsigned max, std::vector<uid_t> exempt)
    : max_(std::max(max, 1u)), exempt_(std::move(exempt)) {}

void UidLimit::SetMax(unsigned max) {
  std::lock_guard lock(mutex_);
  max_ = std::max(max, 1u);
}

unsigned UidLimit::max() const {
  std::lock_guard lock(mutex_);
  return max_;
}

bool UidLimit::Admit(uid_t uid, const std::string& socket) {
  if (std::find(exempt_.begin(), exempt_.end(), uid) != exempt_.end()) return true;
  std::string line;
  {
    std::lock_guard lock(mutex_);
    unsigned& held = held_[uid];
    if (held < max_) {
      ++held;
      return true;
    }
    line = NoteRefusal(uid, socket);
  }
  if (!line.empty()) log::Warning(line);
  return false;
}

std::string UidLimit::NoteRefusal(uid_t uid, const std::string& socket) {
  auto now = SteadyClock::now();
  if (refused_.size() >= kMaxRefusalRecords) {
    std::erase_if(refused_, [&](const auto& r) { return now - r.second.logged >= kLogInterval; });
  }
  auto [it, first] = refused_.try_emplace(uid);
  Refusals& r = it->second;
  if (!first && now - r.logged < kLogInterval) {
    ++r.unlogged;
    return {};
  }
  std::string line = "'" + socket + "': uid " + std::to_string(uid) +
                     " is at its limit of connections at once (max_requests = " +
                     std::to_string(max_) + "); its further connections are closed unanswered";
  if (r.unlogged > 0)
    line += "; " + std::to_string(r.unlogged) + " more closed since the last such message";
  r.unlogged = 0;
  r.logged = now;
  return line;
}

void UidLimit::Release(uid_t uid) {
  if (std::find(exempt_.begin(), exempt_.end(), uid) != exempt_.end()) return;
  std::lock_guard lock(mutex_);
  auto it = held_.find(uid);
  if (it == held_.end()) return;
  if (--it->second == 0) held_.erase(it);
}

unsigned UidLimit::Held(uid_t uid) const {
  std::lock_guard lock(mutex_);
  auto it = held_.find(uid);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace edgesec::http

#pragma once
// How many connections one caller (uid) may hold open at once on one socket (DESIGN.md,
// "Configuration": the peer's [aziot_max_requests] / [iotedge_max_requests], default 10), so that
// one uid can never take every connection a socket serves and starve the others. A connection over
// the limit is accepted and closed at once, without an answer, as the peer does. Root, the
// daemon's own uid and edgesec's service users are exempt: identityd calls certd and keyd, and certd
// calls keyd, on behalf of every module at once (their own callers are capped where they come in). Thread-safe, and shared between a server and the daemon that
// configures it, so that a reload changes the limit of a socket that is already serving.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace edgesec::http {

inline constexpr unsigned kDefaultMaxRequestsPerUid = 10;  // the peer's default
// The package's service users (packaging/sysusers.d): exempt where they exist.
inline const std::vector<std::string> kServiceUsers = {"edgeks", "edgecs", "edgeid"};

// Root, this process's effective uid, and the uids of those of `service_users` that exist.
std::vector<uid_t> ExemptUids(const std::vector<std::string>& service_users);

class UidLimit {
 public:
  // Exempt: ExemptUids(kServiceUsers).
  explicit UidLimit(unsigned max = kDefaultMaxRequestsPerUid);
  UidLimit(unsigned max, std::vector<uid_t> exempt);
  UidLimit(const UidLimit&) = delete;
  UidLimit& operator=(const UidLimit&) = delete;

  // A reload: connections already open stay open; new ones see the new limit. 0 is taken as 1.
  void SetMax(unsigned max);
  unsigned max() const;

  // A new connection of `uid` on `socket` (named in the log): true when it is counted (Release it
  // when it closes), false when the uid already holds max() connections there. Refusals are
  // logged at warning level, once per uid per burst (then at most once a minute, with a count).
  bool Admit(uid_t uid, const std::string& socket);
  void Release(uid_t uid);
  unsigned Held(uid_t uid) const;

 private:
  struct Refusals {
    unsigned unlogged = 0;                          // refused since the last log line
    std::chrono::steady_clock::time_point logged;  // when that line was written
  };
  // With mutex_ held: the log line this refusal calls for, or "".
  std::string NoteRefusal(uid_t uid, const std::string& socket);

  mutable std::mutex mutex_;
  unsigned max_;
  std::vector<uid_t> exempt_;
  std::map<uid_t, unsigned> held_;
  std::map<uid_t, Refusals> refused_;
};

}  // namespace edgesec::http

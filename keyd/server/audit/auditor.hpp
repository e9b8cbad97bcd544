#pragma once
// keyd's audit log writer (docs/audit.md): the one writer of DIR/var/log/edgesec/audit.jsonl.
// keyd's own key operations are recorded as they succeed; signatures are counted per (key id,
// caller) in memory — one map update under a mutex, no I/O — and written as key.sign lines with
// the next other event and when keyd stops (the destructor, after the servers stopped). Never by a
// timer. Other services post their events (POST /audit, keyd/server/audit/audit_route.cpp).

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"
#include "config/keyd/config.hpp"
#include "keyd/server/audit/audit_log.hpp"

namespace edgesec::keyd::audit {

class Auditor {
 public:
  // Opens the log and writes keyd.start. Never fails: when the log cannot be written, keyd runs
  // and logs why (<3>).
  static std::shared_ptr<Auditor> Start(const Layout& layout, const KeydConfig& config);
  // One that records nothing (tests that build a KeyService alone).
  static std::shared_ptr<Auditor> Disabled();
  // Writes the pending key.sign counts and keyd.stop.
  ~Auditor();

  // Rotation limits and the principals that may post (SIGHUP).
  void Configure(const KeydConfig& config);

  // The sign path: counts one signature of `key_id` by `caller`.
  void CountSign(const std::string& key_id, uid_t caller);
  // Passes `result` through, counting a signature when it succeeded.
  template <typename T>
  T Counted(const std::string& key_id, uid_t caller, T result) {
    if (result) CountSign(key_id, caller);
    return result;
  }
  // A key operation keyd did for `caller`: key.create, key.import, key.delete, key.move.
  void KeyEvent(const char* event, uid_t caller, const std::string& key_id,
                const std::string& detail = {});

  // Root, keyd's own uid and [[principal]] entries with `audit = true`.
  bool MayPost(uid_t caller) const;
  // A posted event, validated field by field (kInvalidParameter naming the field; nothing is
  // written then); kInternal when the log cannot be written.
  Status Post(uid_t caller, const Json& body);

 private:
  struct SignKey {
    std::string key_id;
    uid_t uid;
  };
  struct SignKeyView {
    std::string_view key_id;
    uid_t uid;
  };
  struct SignKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      if (a.uid != b.uid) return a.uid < b.uid;
      return std::string_view(a.key_id) < std::string_view(b.key_id);
    }
  };
  struct SignCount {
    uint64_t count = 0;
    int64_t first = 0, last = 0;
  };
  using SignCounts = std::map<SignKey, SignCount, SignKeyLess>;

  Auditor() = default;
  // Writes the pending sign counts, then `records` (under write_mutex_).
  bool Write(std::vector<Record> records);
  Record Base(const char* service, const char* event, uid_t caller);
  Json CallerOf(uid_t uid);

  std::unique_ptr<AuditLog> log_;  // null: disabled
  uid_t self_ = 0;

  std::mutex count_mutex_;
  SignCounts counts_;

  std::mutex write_mutex_;  // the log, the limits, the user names, the posters
  std::map<uid_t, std::string> user_names_;
  std::vector<uid_t> posters_;
  mutable std::mutex posters_mutex_;
};

}  // namespace edgesec::keyd::audit

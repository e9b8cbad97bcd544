#include "keyd/server/audit/auditor.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "common/x509/time.hpp"

namespace edgesec::keyd::audit {

std::shared_ptr<Auditor> Auditor::Start(const Layout& layout, const KeydConfig& config) {
  std::shared_ptr<Auditor> a(new Auditor());
  a->self_ = ::getuid();
  a->log_ = std::make_unique<AuditLog>(layout.logs() + "/audit.jsonl",
                                       layout.ServiceStateDir("keyd") + "/audit-head");
  a->Configure(config);
  std::vector<Record> first = a->log_->Open(::time(nullptr));
  for (Record& r : first) {
    Record full = a->Base("keyd", r["event"].get<std::string>().c_str(), a->self_);
    for (const auto& [k, v] : r.items())
      if (k != "event") full[k] = v;
    r = std::move(full);
  }
  first.push_back(a->Base("keyd", "keyd.start", a->self_));
  a->Write(std::move(first));
  return a;
}

std::shared_ptr<Auditor> Auditor::Disabled() {
  return std::shared_ptr<Auditor>(new Auditor());
}

Auditor::~Auditor() {
  if (log_) Write({Base("keyd", "keyd.stop", self_)});
}

void Auditor::Configure(const KeydConfig& config) {
  {
    std::lock_guard lock(write_mutex_);
    if (log_) log_->SetLimits(config.audit);
  }
  std::vector<uid_t> posters;
  for (const Principal& p : config.principals)
    if (p.audit) posters.push_back(p.uid);
  std::lock_guard lock(posters_mutex_);
  posters_ = std::move(posters);
}

void Auditor::CountSign(const std::string& key_id, uid_t caller) {
  if (!log_) return;
  const int64_t now = ::time(nullptr);
  std::lock_guard lock(count_mutex_);
  auto it = counts_.find(SignKeyView{key_id, caller});
  if (it == counts_.end())
    it = counts_.emplace(SignKey{key_id, caller}, SignCount{0, now, now}).first;
  ++it->second.count;
  it->second.last = now;
}

void Auditor::KeyEvent(const char* event, uid_t caller, const std::string& key_id,
                       const std::string& detail) {
  if (!log_) return;
  Record r = Base("keyd", event, caller);
  r["object"] = key_id;
  r["outcome"] = "success";
  if (!detail.empty()) r["detail"] = detail;
  Write({std::move(r)});
}

bool Auditor::MayPost(uid_t caller) const {
  if (caller == 0 || caller == self_) return true;
  std::lock_guard lock(posters_mutex_);
  return std::find(posters_.begin(), posters_.end(), caller) != posters_.end();
}

Json Auditor::CallerOf(uid_t uid) {
  auto it = user_names_.find(uid);
  if (it == user_names_.end()) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    char buf[4096];
    std::string name;
    if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr) name = pw.pw_name;
    it = user_names_.emplace(uid, name).first;
  }
  Json c = {{"uid", uid}};
  if (!it->second.empty()) c["user"] = it->second;
  return c;
}

Record Auditor::Base(const char* service, const char* event, uid_t caller) {
  std::lock_guard lock(write_mutex_);
  return Record{{"time", x509::Rfc3339(::time(nullptr))},
                {"service", service},
                {"caller", CallerOf(caller)},
                {"event", event}};
}

bool Auditor::Write(std::vector<Record> records) {
  if (!log_) return false;
  SignCounts counts;
  {
    std::lock_guard lock(count_mutex_);
    counts.swap(counts_);
  }
  std::vector<Record> lines;
  for (const auto& [key, c] : counts) {
    Record r = Base("keyd", "key.sign", key.uid);
    r["object"] = key.key_id;
    r["outcome"] = "success";
    r["count"] = c.count;
    r["first"] = x509::Rfc3339(c.first);
    r["last"] = x509::Rfc3339(c.last);
    lines.push_back(std::move(r));
  }
  for (Record& r : records) lines.push_back(std::move(r));
  std::lock_guard lock(write_mutex_);
  return log_->Append(lines);
}

}  // namespace edgesec::keyd::audit

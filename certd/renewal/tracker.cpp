#include "certd/renewal/tracker.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <random>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/state_format.hpp"

namespace edgesec::certd::renewal {
namespace {

constexpr int kFormat = 1;

// What renewal.json records of one credential.
struct Saved {
  AttemptState state;
  std::string warned_cert;
  int64_t warned_up_to = std::numeric_limits<int64_t>::max();
};

// An integer field within [lo, hi]; `fallback` when absent.
Expected<int64_t> IntField(const JsonFields& f, const std::string& prefix, std::string_view name,
                           int64_t fallback, int64_t lo, int64_t hi) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, f.OptionalInt64(name));
  if (!v) return fallback;
  if (*v < lo || *v > hi)
    return InvalidParameter("parameter '" + prefix + std::string(name) + "' is out of range");
  return *v;
}

Expected<Saved> ParseCredential(const JsonFields& f, const std::string& prefix) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Saved s;
  EDGESEC_ASSIGN_OR_RETURN(auto attempts, IntField(f, prefix, "attempts", 0, 0, 1 << 30));
  s.state.attempts = static_cast<int>(attempts);
  EDGESEC_ASSIGN_OR_RETURN(s.state.last_attempt, IntField(f, prefix, "lastAttempt", 0, 0, kMax));
  EDGESEC_ASSIGN_OR_RETURN(auto error, f.OptionalString("lastError"));
  s.state.last_error = error.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(auto for_cert, f.OptionalString("forCert"));
  s.state.for_cert = for_cert.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(auto warned, f.OptionalString("warnedCert"));
  s.warned_cert = warned.value_or("");
  EDGESEC_ASSIGN_OR_RETURN(s.warned_up_to, IntField(f, prefix, "warnedUpTo", kMax, 0, kMax));
  return s;
}

struct SavedState {
  std::map<std::string, Saved> credentials;
  uint64_t salt = 0;  // 0: none yet
};

// "jitterSalt": 16 hex digits, absent in files written before it existed.
Expected<uint64_t> ParseSalt(const JsonFields& top) {
  EDGESEC_ASSIGN_OR_RETURN(auto text, top.OptionalString("jitterSalt"));
  if (!text) return uint64_t{0};
  if (text->size() != 16 || text->find_first_not_of("0123456789abcdef") != std::string::npos)
    return InvalidParameter("parameter 'jitterSalt' must be 16 lowercase hex digits");
  return std::stoull(*text, nullptr, 16);
}

// A random salt for the jitter of this device's renewals (never 0).
uint64_t NewSalt() {
  std::random_device rd;
  uint64_t salt = 0;
  while (salt == 0) salt = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return salt;
}

// renewal.json, every field type-checked: kConfig for a newer format, kInvalidParameter naming
// the field (or saying it is not JSON) for a damaged file.
Expected<SavedState> ParseState(const std::string& text, const std::string& path) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidParameter("not valid JSON");
  if (!j.is_object()) return InvalidParameter("not a JSON object");
  JsonFields top(j);
  EDGESEC_ASSIGN_OR_RETURN(auto format, IntField(top, "", "format", 0, 0, 1 << 30));
  if (format > kFormat)
    return MakeError(ErrorKind::kConfig,
                     "renewal state '" + path + "' has format " + std::to_string(format) +
                         ", newer than this certd understands (" + std::to_string(kFormat) +
                         "); run the edgesec version that wrote it");
  SavedState out;
  EDGESEC_ASSIGN_OR_RETURN(out.salt, ParseSalt(top));
  auto creds = j.find("credentials");
  if (creds == j.end() || creds->is_null()) return out;
  if (!creds->is_object()) return InvalidParameter("parameter 'credentials' must be an object");
  for (const auto& [id, c] : creds->items()) {
    std::string prefix = "credentials." + id + ".";
    if (!c.is_object())
      return InvalidParameter("parameter 'credentials." + id + "' must be an object");
    EDGESEC_ASSIGN_OR_RETURN(out.credentials[id], ParseCredential(JsonFields(c, prefix), prefix));
  }
  return out;
}

}  // namespace

std::string CredentialView::StateName(int64_t now) const {
  if (renewing) return "renewing";
  if (!cert) return "missing";
  if (cert->not_after <= now) return "expired";
  if (state.attempts > 0 && state.for_cert == cert->fingerprint) return "failed";
  return "valid";
}

Tracker::Tracker(const Clock& clock, std::string state_file, int64_t retry_floor)
    : clock_(clock), state_file_(std::move(state_file)), retry_floor_(retry_floor) {}

Status Tracker::Load() {
  if (state_file_.empty()) return {};
  auto text = fs::ReadFile(state_file_, 64 << 20);
  if (!text && text.error().kind != ErrorKind::kNotFound) return text.error();
  SavedState saved;
  if (text) {
    auto parsed = ParseState(*text, state_file_);
    if (parsed) {
      saved = std::move(*parsed);
    } else if (parsed.error().kind == ErrorKind::kConfig) {
      return parsed.error();  // a newer format
    } else {
      // Damaged: the renewal state is a cache of attempts and warnings; the certs are in the store.
      log::Error("certd: renewal state '" + state_file_ + "' is damaged (" +
                 parsed.error().message + "); " + KeepAside(state_file_, clock_.Now()) +
                 "; the renewal state is rebuilt from the stored certificates (failed attempts "
                 "and expiry warnings already given are forgotten)");
    }
  }
  std::lock_guard lock(mutex_);
  for (auto& [id, s] : saved.credentials) {
    Entry& e = entries_[id];
    e.state = std::move(s.state);
    e.warned_cert = std::move(s.warned_cert);
    e.warned_up_to = s.warned_up_to;
    e.seed = JitterSeed(id);
  }
  // The salt is made once per device and kept, so that a restart does not move a due time
  // (written with the state just read: a file from before salts keeps its attempts).
  salt_ = saved.salt;
  if (salt_ == 0) {
    salt_ = NewSalt();
    SaveLocked();
  }
  return {};
}

void Tracker::SaveLocked() const {
  if (state_file_.empty()) return;
  Json creds = Json::object();
  for (const auto& [id, e] : entries_) {
    if (e.state.attempts == 0 && e.state.last_attempt == 0 && e.warned_cert.empty()) continue;
    Json c{{"attempts", e.state.attempts},
           {"lastAttempt", e.state.last_attempt},
           {"lastError", e.state.last_error},
           {"forCert", e.state.for_cert}};
    if (!e.warned_cert.empty()) {
      c["warnedCert"] = e.warned_cert;
      c["warnedUpTo"] = e.warned_up_to;
    }
    creds[id] = std::move(c);
  }
  Json j{{"format", kFormat}, {"credentials", std::move(creds)}};
  if (salt_ != 0) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(salt_));
    j["jitterSalt"] = hex;
  }
  if (Status st = fs::AtomicWriteFile(state_file_, j.dump(1) + "\n", 0600); !st)
    log::Error("certd: cannot save the renewal state '" + state_file_ +
               "': " + st.error().Describe());
}

void Tracker::SetPolicies(const std::map<std::string, Policy>& policies) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();)
    it = policies.count(it->first) ? std::next(it) : entries_.erase(it);
  for (const auto& [id, p] : policies) {
    Entry& e = entries_[id];
    e.policy = p;
    e.seed = JitterSeed(id);
  }
}

void Tracker::SetRetryFloor(int64_t seconds) {
  std::lock_guard lock(mutex_);
  retry_floor_ = seconds;
}

void Tracker::SetCert(const std::string& id, std::optional<CertTimes> cert) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  bool changed = cert.has_value() != it->second.cert.has_value() ||
                 (cert && cert->fingerprint != it->second.cert->fingerprint);
  it->second.cert = std::move(cert);
  // A policy that does not fit this cert is reported once per cert (and as lastError).
  if (changed && it->second.cert && it->second.policy.auto_renew) {
    CertSchedule s = ScheduleFor(it->second.policy, *it->second.cert, retry_floor_);
    if (!s.error.empty()) log::Warning("certd: credential '" + id + "': " + s.error);
  }
}

void Tracker::Begin(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(id); it != entries_.end()) it->second.renewing = true;
}

void Tracker::Succeeded(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.renewing = false;
  e.state.attempts = 0;
  e.state.last_error.clear();
  e.state.for_cert.clear();
  e.state.last_attempt = clock_.Now();
  SaveLocked();
}

void Tracker::Failed(const std::string& id, const std::string& error) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  std::string fp = e.cert ? e.cert->fingerprint : std::string();
  if (e.state.for_cert != fp) e.state.attempts = 0;  // attempts on an earlier cert do not count
  e.renewing = false;
  e.state.attempts += 1;
  e.state.last_error = error;
  e.state.for_cert = fp;
  e.state.last_attempt = clock_.Now();
  SaveLocked();
}

Decision Tracker::DecideLocked(const Entry& e, int64_t now) const {
  DecisionInput in{&e.policy, &e.cert, &e.state, now, retry_floor_, e.seed ^ salt_};
  return Decide(in);
}

std::optional<CredentialView> Tracker::View(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  CredentialView v{id, e.policy, e.cert, e.state, DecideLocked(e, clock_.Now()), e.renewing};
  // Failures of an earlier cert (since replaced, e.g. by an import) are history, not the state.
  if (e.state.attempts > 0 && e.cert && e.state.for_cert != e.cert->fingerprint)
    v.state.attempts = 0;
  return v;
}

std::vector<std::string> Tracker::Ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, e] : entries_) ids.push_back(id);
  return ids;
}

size_t Tracker::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

Tracker::Plan Tracker::PlanAt(int64_t now) {
  std::lock_guard lock(mutex_);
  // The clock went back behind the last attempt: the attempt counts as made now, so that its
  // retry is one interval from here — fixed, not receding with the clock until it catches up.
  bool rebased = false;
  for (auto& [id, e] : entries_) {
    if (e.state.last_attempt <= now) continue;
    e.state.last_attempt = now;
    rebased = true;
  }
  if (rebased) SaveLocked();
  Plan plan;
  std::vector<std::pair<int64_t, const std::string*>> due;
  for (const auto& [id, e] : entries_) {
    if (e.cert) {  // the scheduler wakes for the next expiry warning too
      int64_t up_to = e.warned_cert == e.cert->fingerprint ? e.warned_up_to
                                                           : std::numeric_limits<int64_t>::max();
      auto w = NextWarningAt(e.policy, *e.cert, now, up_to);
      if (w && (!plan.next_warning_at || *w < *plan.next_warning_at)) plan.next_warning_at = w;
    }
    if (e.renewing) continue;
    Decision d = DecideLocked(e, now);
    if (!d.at) continue;
    if (*d.at <= now)
      due.emplace_back(*d.at, &id);
    else if (!plan.next_at || *d.at < *plan.next_at)
      plan.next_at = *d.at;
  }
  // Most overdue first, ties by id (never by address: the order must not depend on allocation).
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : *a.second < *b.second;
  });
  plan.due.reserve(due.size());
  for (const auto& [at, id] : due) plan.due.push_back(*id);
  IssuersFirst(plan.due);
  return plan;
}

// Moves each due credential behind the due credential that issues it (chains of any depth; a
// cycle, which the config refuses anyway, keeps the order it has).
void Tracker::IssuersFirst(std::vector<std::string>& due) const {
  for (size_t pass = 0; pass < due.size(); ++pass) {
    bool moved = false;
    for (size_t i = 0; i < due.size() && !moved; ++i) {
      const std::string& issuer = entries_.at(due[i]).policy.issued_by;
      if (issuer.empty() || issuer == due[i]) continue;
      auto at = std::find(due.begin() + static_cast<std::ptrdiff_t>(i) + 1, due.end(), issuer);
      if (at == due.end()) continue;
      std::rotate(due.begin() + static_cast<std::ptrdiff_t>(i),
                  due.begin() + static_cast<std::ptrdiff_t>(i) + 1, at + 1);
      moved = true;
    }
    if (!moved) return;
  }
}

std::vector<Warning> Tracker::TakeWarnings(int64_t now) {
  std::lock_guard lock(mutex_);
  std::vector<Warning> out;
  for (auto& [id, e] : entries_) {
    if (!e.cert) continue;
    int64_t up_to =
        e.warned_cert == e.cert->fingerprint ? e.warned_up_to : std::numeric_limits<int64_t>::max();
    auto due = WarningDue(e.policy, *e.cert, now, up_to);
    if (!due) continue;
    e.warned_cert = e.cert->fingerprint;
    e.warned_up_to = *due;
    out.push_back(Warning{id, *due, *e.cert});
  }
  if (!out.empty()) SaveLocked();
  return out;
}

}  // namespace edgesec::certd::renewal

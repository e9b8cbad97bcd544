#include "daemon/server/edge_ca.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/state_format.hpp"
#include "common/systemd.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "common/x509/validate.hpp"


namespace edgesec::identityd {
namespace {

constexpr int kStateFormat = 1;

// An Edge CA must be able to issue (DESIGN.md: CA:TRUE and, when keyUsage is present,
// keyCertSign): x509::CheckIssuingCa, answered as kUnavailable with what to change.
Status CheckIssuingCa(X509* ca, const std::string& id) {
  if (Status st = x509::CheckIssuingCa(ca); !st)
    return MakeError(ErrorKind::kUnavailable,
                     "the Edge CA '" + id + "' cannot issue: " + st.error().message +
                         "; give [edge_ca] a CA certificate whose keyUsage, if any, includes "
                         "keyCertSign");
  return {};
}

Expected<EdgeCaCert> Parse(const std::string& pem, const std::string& id) {
  auto chain = x509::ParsePemChain(pem);
  if (!chain) return chain.error().Context("Edge CA '" + id + "'");
  EDGESEC_TRY(CheckIssuingCa(chain->front().get(), id));
  EdgeCaCert c;
  c.chain_pem = pem;
  c.sha256 = x509::Sha256Fingerprint(chain->front().get());
  EDGESEC_ASSIGN_OR_RETURN(c.not_after, x509::ToEpoch(X509_get0_notAfter(chain->front().get())));
  return c;
}

Error Unavailable(const std::string& message) {
  return MakeError(ErrorKind::kUnavailable, message);
}

// One Edge CA of edge-ca.json, `name` being its field ("current", "previous[2]").
Expected<EdgeCaCert> ParseSaved(const Json& v, const std::string& name, const std::string& id) {
  if (!v.is_string()) return InvalidParameter("parameter '" + name + "' must be a string");
  auto c = Parse(v.get<std::string>(), id);
  if (!c) return InvalidParameter("parameter '" + name + "': " + c.error().message);
  return c;
}

// edge-ca.json, every field checked: kConfig for a newer format; else the first damaged field
// (kInvalidParameter), with every Edge CA that could be read in *current and *previous.
Status ParseState(const std::string& text, const std::string& path, const std::string& id,
                  std::optional<EdgeCaCert>* current, std::vector<EdgeCaCert>* previous) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return InvalidParameter(text.empty() ? "it is empty (0 bytes)" : "not valid JSON");
  if (!j.is_object()) return InvalidParameter("not a JSON object");
  EDGESEC_TRY(JsonFields(j).OptionalInt64("format"));
  EDGESEC_TRY(CheckStateFileFormat(j, kStateFormat, path));
  Status first;
  if (auto cur = j.find("current"); cur != j.end() && !cur->is_null()) {
    auto c = ParseSaved(*cur, "current", id);
    if (c) *current = std::move(*c);
    if (!c) first = c.error();
  }
  auto prev = j.find("previous");
  if (prev == j.end() || !prev->is_array())
    return first
               ? Status(InvalidParameter(prev == j.end() ? "missing parameter 'previous'"
                                                         : "parameter 'previous' must be an array"))
               : first;
  for (size_t i = 0; i < prev->size(); ++i) {
    auto c = ParseSaved((*prev)[i], "previous[" + std::to_string(i) + "]", id);
    if (c) previous->push_back(std::move(*c));
    if (!c && first) first = c.error();
  }
  return first;
}

}  // namespace

void EdgeCa::Configure(std::shared_ptr<certd::CertdClient> certd, std::string cert_id,
                       std::vector<std::string> on_change) {
  std::lock_guard lock(mutex_);
  if (cert_id != cert_id_) current_.reset();
  certd_ = std::move(certd);
  cert_id_ = std::move(cert_id);
  on_change_ = std::move(on_change);
}

void EdgeCa::SetAfterChange(std::function<void()> after_change) {
  std::lock_guard lock(mutex_);
  after_change_ = std::move(after_change);
}

Status EdgeCa::Load() {
  std::string path = state_dir_ + "/edge-ca.json";
  EDGESEC_ASSIGN_OR_RETURN(
      StateFileText file,
      ReadStateFile(path, 0600, "identityd",
                    "the earlier Edge CAs it lists then leave the trust bundle"));
  if (!file.text) return {};
  std::lock_guard lock(mutex_);
  Status parsed = ParseState(*file.text, path, cert_id_, &last_seen_, &previous_);
  if (!parsed && parsed.error().kind == ErrorKind::kConfig) return parsed;  // a newer format
  if (!parsed) {
    // Damaged: what could be read is kept; the on_change hook runs again at the first Edge CA seen
    // (the file may have named another one), and a sound file is written at once.
    log::Error("identityd: state file '" + path + "' is damaged (" + parsed.error().message +
               "); " + KeepAside(path, clock_->Now()) + "; identityd goes on with what could be " +
               "read of it (" + std::to_string(previous_.size()) +
               " earlier Edge CAs): one it no longer lists has left the trust bundle, and the "
               "Edge CA on_change hook runs once more");
    resync_ = true;
  } else if (!file.wrong.empty()) {
    log::Notice("identityd: state file '" + path + "' had " + file.wrong +
                "; written again with mode 0600 by identityd's user");
  }
  if (!parsed || !file.wrong.empty()) {
    if (Status st = Save(); !st) log::Warning("identityd: " + st.error().Describe());
  }
  return {};
}

Status EdgeCa::Save() const {
  Json j{{"format", kStateFormat}, {"previous", Json::array()}};
  if (last_seen_) j["current"] = last_seen_->chain_pem;
  for (const auto& p : previous_) j["previous"].push_back(p.chain_pem);
  EDGESEC_TRY(fs::MakeDirs(state_dir_, 0700));
  return fs::AtomicWriteFile(state_dir_ + "/edge-ca.json", DumpJson(j), 0600);
}

std::pair<std::shared_ptr<certd::CertdClient>, std::string> EdgeCa::Target() const {
  std::lock_guard lock(mutex_);
  return {certd_, cert_id_};
}

Expected<EdgeCaCert> EdgeCa::Fetch() {
  auto [certd, id] = Target();
  auto pem = certd->Get(id);
  if (!pem) {
    if (pem.error().kind == ErrorKind::kNotFound)
      return Unavailable("the Edge CA '" + id + "' is not issued yet")
          .WithReason(ErrorReason::kNotIssuedYet);
    return Unavailable("cannot read the Edge CA '" + id + "' from certd: " + pem.error().message);
  }
  return Parse(*pem, id);
}

void EdgeCa::Adopt(EdgeCaCert fresh) {
  std::string old_sha, new_sha = fresh.sha256;
  bool resync = false;
  {
    std::lock_guard lock(mutex_);
    // A change is against what this process fetched before, else against the previous run's.
    const std::optional<EdgeCaCert>& before = current_ ? current_ : last_seen_;
    resync = std::exchange(resync_, false);  // the state file was damaged: as if changed
    if (before && before->sha256 == fresh.sha256 && !resync) {
      current_ = std::move(fresh);
      return;
    }
    if (before && before->sha256 != fresh.sha256) {
      old_sha = before->sha256;
      previous_.insert(previous_.begin(), *before);
    }
    int64_t now = clock_->Now();
    std::erase_if(previous_,
                  [&](const EdgeCaCert& p) { return p.not_after <= now || p.sha256 == new_sha; });
    current_ = fresh;
    last_seen_ = std::move(fresh);
    if (Status st = Save(); !st)
      log::Warning("identityd: cannot record the Edge CA change: " + st.error().Describe());
  }
  if (old_sha.empty() && !resync) {
    log::Info("identityd: Edge CA " + new_sha);
    return;
  }
  if (old_sha.empty())
    log::Notice("identityd: Edge CA " + new_sha +
                "; the on_change hook runs (identityd's Edge CA state was damaged)");
  else
    log::Notice("identityd: the Edge CA changed from " + old_sha + " to " + new_sha +
                "; module certs are issued from the new one, the old one stays in the trust "
                "bundle until it expires");
  RunHook(old_sha, new_sha);
  std::function<void()> after;
  {
    std::lock_guard lock(mutex_);
    after = after_change_;
  }
  if (after) after();
}

Status EdgeCa::Refresh() {
  EDGESEC_ASSIGN_OR_RETURN(EdgeCaCert fresh, Fetch());
  Adopt(std::move(fresh));
  return {};
}

bool EdgeCa::Trusts(const std::string& sha256) const {
  std::lock_guard lock(mutex_);
  int64_t now = clock_->Now();
  if (current_ && current_->sha256 == sha256) return true;
  return std::any_of(previous_.begin(), previous_.end(),
                     [&](const EdgeCaCert& p) { return p.sha256 == sha256 && p.not_after > now; });
}

Status EdgeCa::TrustIssuerOf(const std::string& issued_pem) {
  // The common case, a known issuer, is recognized by the fingerprint of its PEM block alone.
  std::vector<x509::PemBlock> blocks = x509::ReadPemBlocks(issued_pem);
  std::erase_if(blocks, [](const x509::PemBlock& b) { return b.label != "CERTIFICATE"; });
  if (blocks.size() >= 2 && Trusts(x509::Sha256FingerprintOfDer(blocks[1].der))) return {};
  EDGESEC_ASSIGN_OR_RETURN(x509::Chain chain, x509::ParsePemChain(issued_pem));
  if (chain.size() < 2)
    return Internal("certd answered a module cert without the Edge CA that signed it");
  std::string sha = x509::Sha256Fingerprint(chain[1].get());
  if (Trusts(sha)) return {};
  // certd renewed the Edge CA after identityd last read it (its event is on the way, or was lost
  // while certd restarted): read it now, before the cert is handed out.
  if (Status st = Refresh(); !st) log::Warning("identityd: " + st.error().message);
  if (Trusts(sha)) return {};
  // Renewed once more meanwhile: the issuer is an earlier Edge CA, trusted until it expires.
  std::string pem;
  for (size_t i = 1; i < chain.size(); ++i) {
    EDGESEC_ASSIGN_OR_RETURN(std::string one, x509::ToPem(chain[i].get()));
    pem += one;
  }
  auto [certd, id] = Target();
  EDGESEC_ASSIGN_OR_RETURN(EdgeCaCert issuer, Parse(pem, id));
  std::lock_guard lock(mutex_);
  if ((current_ && current_->sha256 == sha) ||
      std::any_of(previous_.begin(), previous_.end(),
                  [&](const EdgeCaCert& p) { return p.sha256 == sha; }))
    return {};  // a concurrent request added it
  previous_.insert(previous_.begin(), std::move(issuer));
  if (Status st = Save(); !st)
    log::Warning("identityd: cannot record an earlier Edge CA: " + st.error().Describe());
  return {};
}

Expected<EdgeCaCert> EdgeCa::Renew() {
  auto [certd, id] = Target();
  // ifNeeded: certd may have issued or renewed it meanwhile (its scheduler issues a missing Edge CA
  // at start and renews an expired one); then the fresh one is answered, not a second renewal.
  auto pem = certd->Renew(id, std::nullopt, /*if_needed=*/true);
  if (!pem)
    return Unavailable(
        "the Edge CA '" + id +
        "' has expired or is missing and renewing it failed: " + pem.error().message);
  EDGESEC_ASSIGN_OR_RETURN(EdgeCaCert fresh, Parse(*pem, id));
  Adopt(fresh);
  return fresh;
}

Expected<EdgeCaCert> EdgeCa::Current() {
  int64_t now = clock_->Now();
  {
    std::lock_guard lock(mutex_);
    if (current_ && current_->not_after > now) return *current_;
  }
  auto fresh = Fetch();
  if (fresh && fresh->not_after > now) {
    Adopt(*fresh);
    return fresh;
  }
  if (!fresh && fresh.error().reason != ErrorReason::kNotIssuedYet) return fresh;
  // Expired or missing: renewed before anything is issued from it (the seeds' expired Edge CA).
  std::lock_guard renew_lock(renew_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (current_ && current_->not_after > clock_->Now()) return *current_;
  }
  return Renew();
}

std::vector<std::string> EdgeCa::BundlePems() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  int64_t now = clock_->Now();
  if (current_) out.push_back(current_->chain_pem);
  for (const auto& p : previous_)
    if (p.not_after > now) out.push_back(p.chain_pem);
  return out;
}

void EdgeCa::RunHook(const std::string& old_sha, const std::string& new_sha) const {
  std::vector<std::string> argv_s;
  {
    std::lock_guard lock(mutex_);
    argv_s = on_change_;
  }
  if (argv_s.empty()) return;
  // Not systemd's NOTIFY_SOCKET, WATCHDOG_* or LISTEN_*: those are identityd's alone.
  std::vector<std::string> env_s = {"EDGESEC_EDGE_CA_OLD_SHA256=" + old_sha,
                                    "EDGESEC_EDGE_CA_NEW_SHA256=" + new_sha};
  for (auto& e : systemd::ChildEnvironment()) env_s.push_back(std::move(e));
  std::vector<char*> argv, envp = systemd::EnvPointers(env_s);
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0) {
    log::Error("identityd: cannot run the Edge CA on_change hook '" + argv_s[0] +
               "': " + std::strerror(rc));
    return;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    log::Info("identityd: Edge CA on_change hook '" + argv_s[0] + "' ran");
  else
    log::Error("identityd: Edge CA on_change hook '" + argv_s[0] + "' failed (status " +
               std::to_string(status) + ")");
}

void EdgeCa::StartWatching() {
  StopWatching();
  watch_ = std::make_shared<WatchControl>();
  watcher_ = std::thread([this, control = watch_] { Watch(*control); });
}

// The watcher may be blocked in a wait that only certd ends (a change, or certd going away): it is
// let go, not joined. It touches nothing of this EdgeCa once `stop` is set, which it checks under
// the control's mutex, the same mutex it holds while it refreshes.
void EdgeCa::StopWatching() {
  if (!watch_) return;
  {
    std::lock_guard lock(watch_->mutex);
    watch_->stop = true;
  }
  watch_->wake.notify_all();
  if (watcher_.joinable()) watcher_.detach();
  watch_.reset();
}

void EdgeCa::Watch(WatchControl& control) {
  uint64_t seq = 0;
  int failures = 0;  // in a row: the backoff while certd is away or stopping
  for (;;) {
    std::shared_ptr<certd::CertdClient> certd;
    std::string id;
    {
      std::lock_guard lock(control.mutex);
      if (control.stop) return;
      std::tie(certd, id) = Target();
    }
    // No time limit: certd answers when a cert changes, so an idle identityd sleeps.
    auto events = certd->WaitEvents(seq, /*timeout_seconds=*/0);
    std::unique_lock lock(control.mutex);
    if (control.stop) return;
    bool changed = true, back_off = !events.has_value();
    if (events) {
      changed =
          seq == 0 || events->reset ||
          std::find(events->changed.begin(), events->changed.end(), id) != events->changed.end();
      // Nothing changed although nothing limited the wait: certd is stopping.
      back_off = seq != 0 && !events->reset && events->changed.empty() && events->seq == seq;
      seq = events->seq;
    } else {
      // certd unreachable (or without /events): a certd that comes back is another process (its
      // sequence restarts): re-read at once then, with seq 0.
      seq = 0;
    }
    failures = back_off ? failures + 1 : 0;
    if (back_off) {
      auto delay = std::chrono::milliseconds(100 << std::min(failures - 1, 5));
      control.wake.wait_for(lock, std::min(delay, std::chrono::milliseconds(2000)),
                            [&] { return control.stop; });
      if (control.stop) return;
    }
    if (changed) {
      if (Status st = Refresh(); !st) log::Debug("identityd: " + st.error().message);
    }
  }
}

}  // namespace edgesec::identityd

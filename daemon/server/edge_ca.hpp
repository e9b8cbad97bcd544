#pragma once
// The Edge CA as identityd sees it: a cert held (issued, renewed, stored) by certd under
// `edge_ca_cert`. identityd caches it, checks that it can issue (CA:TRUE, keyCertSign), follows its
// changes (certd's /events, or polling when certd cannot be reached), keeps every earlier Edge CA
// in the trust bundle until it expires (state: DIR/var/lib/edgesec/identityd/edge-ca.json, written
// atomically), and runs the configured hook once per change — including a change that happened
// while identityd was down.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "certd/client/certd_client.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace edgesec::identityd {

struct EdgeCaCert {
  std::string chain_pem;  // the Edge CA and the chain above it, as certd holds it
  std::string sha256;     // of the Edge CA cert
  int64_t not_after = 0;
};

class EdgeCa {
 public:
  EdgeCa(std::string state_dir, std::shared_ptr<const Clock> clock)
      : state_dir_(std::move(state_dir)), clock_(std::move(clock)) {}
  ~EdgeCa() { StopWatching(); }

  void Configure(std::shared_ptr<certd::CertdClient> certd, std::string cert_id,
                 std::vector<std::string> on_change);
  // Called after each change of the Edge CA, once the hook ran (identityd: the OS trust store).
  void SetAfterChange(std::function<void()> after_change);
  // Loads the persisted state (previous CAs). A damaged file is kept aside (edge-ca.json.bad-<UTC>)
  // and what could be read of it is kept; only a newer format or an unreadable file (owner, mode)
  // is an error, which says what to run.
  Status Load();

  // The current Edge CA, fetched from certd when not cached or when it has expired: an expired or
  // missing Edge CA is renewed through certd (POST /credentials/{id}/renew) before it is returned.
  // kUnavailable while certd cannot give one (the reason said), kInvalidParameter-free.
  Expected<EdgeCaCert> Current();
  // Re-reads the Edge CA from certd; records a change (old CA kept for the bundle, hook run).
  Status Refresh();
  // PEM of the Edge CA chain plus every earlier Edge CA that has not expired, deduplicated.
  std::vector<std::string> BundlePems();
  // Before a module cert is handed out: the Edge CA that signed it (the second cert of the chain
  // certd answered) is made part of the trust bundle — certd may have renewed the Edge CA since
  // identityd last read it (its event is on the way, or was lost while certd restarted), so it is
  // read again; one renewed once more meanwhile is kept as an earlier Edge CA.
  Status TrustIssuerOf(const std::string& issued_pem);
  // Renews it now through certd; returns once the new one is committed and picked up.
  Expected<EdgeCaCert> Renew();

  // A thread following certd's /events (waits without a time limit; backs off from 100 ms to 2 s
  // while certd is away); Refresh() on a change of the Edge CA. StopWatching() returns at once, or
  // once a Refresh() in progress is done; a wait in progress is let go.
  void StartWatching();
  void StopWatching();

 private:
  // certd's client and the Edge CA's cert id, as configured now.
  std::pair<std::shared_ptr<certd::CertdClient>, std::string> Target() const;
  Expected<EdgeCaCert> Fetch();
  bool Trusts(const std::string& sha256) const;  // current, or earlier and not expired
  void Adopt(EdgeCaCert fresh);                  // with mutex_ held
  Status Save() const;                           // with mutex_ held
  void RunHook(const std::string& old_sha, const std::string& new_sha) const;
  // Shared by the EdgeCa and its watcher thread, which may outlive it (StopWatching).
  struct WatchControl {
    std::mutex mutex;
    std::condition_variable wake;
    bool stop = false;
  };
  void Watch(WatchControl& control);

  std::string state_dir_;
  std::shared_ptr<const Clock> clock_;
  mutable std::mutex mutex_;
  std::mutex renew_mutex_;  // one renewal at a time
  std::shared_ptr<certd::CertdClient> certd_;
  std::string cert_id_;
  std::vector<std::string> on_change_;
  std::function<void()> after_change_;
  std::optional<EdgeCaCert> current_;    // fetched from certd by this process
  std::optional<EdgeCaCert> last_seen_;  // the Edge CA of the previous run (state file)
  std::vector<EdgeCaCert> previous_;     // earlier Edge CAs, newest first
  bool resync_ = false;  // the state file was damaged: the next Edge CA seen counts as a change
  std::shared_ptr<WatchControl> watch_;
  std::thread watcher_;
};

}  // namespace edgesec::identityd

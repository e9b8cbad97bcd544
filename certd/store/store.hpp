#pragma once
// The cert store: one PEM file per cert id under DIR/var/lib/edgesec/certd/certs/, named from the
// id (common/ids.hpp) and starting with an "edgesec-cert-id: <id>" line (then, optionally, an
// "edgesec-key-id: <key id>" line), written atomically with mode
// 0644. A stored file that is no cert record of its id (0 bytes, cut, another file's content,
// another id's record) is damaged: kept aside as <file>.bad-<UTC time>, reported once (<3>), and
// the id is served as not stored (see Get). Preloaded certs (file:// paths of the config) are the
// integrator's: read, never written or deleted; a stored cert of the same id takes precedence over
// the preloaded file.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace edgesec::certd::store {

struct StoredCert {
  std::string pem;
  bool preloaded = false;  // read from the integrator's file
  std::string path;
  std::string key_id;  // the keyd key id recorded with the cert (empty: the credential's key id)
};

class CertStore {
 public:
  // Creates the directory and checks its FORMAT version; `preloaded`: id → absolute file path.
  static Expected<std::unique_ptr<CertStore>> Open(const std::string& state_dir,
                                                   std::map<std::string, std::string> preloaded);
  void SetPreloaded(std::map<std::string, std::string> preloaded);
  // Called with the cert id after every Put and every Remove that removed something (set once,
  // before use).
  void SetOnChange(std::function<void(const std::string&)> on_change) {
    on_change_ = std::move(on_change);
  }

  // nullopt when neither a stored nor a preloaded cert exists (a damaged stored file is kept aside
  // first); kIo when a file cannot be read (the error says what certd needs).
  Expected<std::optional<StoredCert>> Get(const std::string& id) const;
  // One atomic rename: the cert and, when given, the key id it belongs to (a renewal that rotates
  // the key commits both at once — a versioned key id named in the record).
  Status Put(const std::string& id, const std::string& pem, const std::string& key_id = {});
  // Removes the stored cert; true when one was there. Preloaded files stay.
  Expected<bool> Remove(const std::string& id);
  bool IsPreloaded(const std::string& id) const;
  // Stored and preloaded ids, sorted, without duplicates.
  Expected<std::vector<std::string>> Ids() const;

 private:
  explicit CertStore(std::string dir) : dir_(std::move(dir)) {}
  std::string PathFor(const std::string& id) const;
  void KeepDamagedAside(const std::string& id, const std::string& path, const std::string& text,
                        const std::string& damage) const;
  void LogKeptAside(const std::string& id, const std::string& path, const std::string& damage,
                    const std::string& aside) const;
  std::string dir_;
  mutable std::mutex mutex_;
  mutable std::mutex write_mutex_;  // file writes, removals and keeping damaged files aside
  std::map<std::string, std::string> preloaded_;
  std::function<void(const std::string&)> on_change_;
};

}  // namespace edgesec::certd::store

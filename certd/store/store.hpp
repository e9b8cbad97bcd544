#pragma once
// The cert store: one PEM file per cert id under DIR/var/lib/edgesec/certd/certs/, named from the
// id (common/ids.hpp) and starting with an "edgesec-cert-id: <id>" line (then, optionally, an
// "edgesec-key-id: <key id>" line), written atomically with mode
// 0644. Preloaded certs (file:// paths of the config) are the integrator's: read, never written or
// deleted; a stored cert of the same id takes precedence over the preloaded file.

#include <sys/stat.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "certd/store/lifecycle.hpp"
#include "common/error.hpp"
#include "common/fs.hpp"

namespace edgesec::certd::store {

struct StoredCert {
  std::string pem;
  bool preloaded = false;  // read from the integrator's file
  std::string path;
  std::string key_id;  // the keyd key id recorded with the cert (empty: the credential's key id)
  // The lifecycle facts of the chain (lifecycle.hpp), read with the file and cached with it; null
  // when a preloaded file's chain does not parse.
  std::shared_ptr<const CertFacts> facts;
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

  // nullopt when neither a stored nor a preloaded cert exists; kIo when a file cannot be read.
  // A stored file that is damaged (its id line, key id line or PEM chain), owned by another uid or
  // writable by others is renamed to <file>.bad-<UTC> with one error line, and counts as absent.
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
  // The stored file alone: nullopt when absent; kInternal when damaged or not certd's.
  Expected<std::optional<StoredCert>> ReadStored(const std::string& path,
                                                 const std::string& id) const;
  // Renames `path` aside and says so at error level; called with files_mutex_ held.
  void SetAsideDamaged(const std::string& path, const Error& why) const;
  // At start: every stored file checked (Get), and one whose id line names no id of its file name
  // kept aside.
  void Audit();
  using FileStamp = fs::FileStamp;
  // A stored or preloaded cert read and checked before, served again while its file has the same
  // stamp: issuing with the same issuer costs a stat, not a read and a chain parse. The stamp is
  // taken before the read, so a file replaced meanwhile differs from it and is read again.
  std::optional<StoredCert> Remembered(const std::string& path, FileStamp* stamp) const;
  void Remember(const std::string& path, const FileStamp& stamp, const StoredCert& cert) const;
  void Forget(const std::string& path) const;
  std::string dir_;
  mutable std::mutex files_mutex_;  // writes, removals and keeping damaged files aside
  mutable std::mutex mutex_;
  std::map<std::string, std::string> preloaded_;
  std::function<void(const std::string&)> on_change_;
  mutable std::mutex read_mutex_;
  mutable std::map<std::string, std::pair<FileStamp, StoredCert>> read_;  // by file path
};

}  // namespace edgesec::certd::store

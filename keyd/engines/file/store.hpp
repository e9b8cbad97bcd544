#pragma once
// Storage and cache of the file engine; shared by its operations.

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"
#include "edgesec/key_engine.h"
#include "keyd/engines/file/key_file.hpp"
#include "keyd/engines/file/sign.hpp"

namespace edgesec::keyd::engines::file {

// A decoded key pair, shared by the operations that use it until its file changes through the
// store (write, move, delete) or the engine is reopened (reload): each of those drops it, and the
// next use decodes the file again.
struct SharedKey {
  EvpPkeyPtr key;
  std::string algorithm;
  std::unique_ptr<PreparedContexts> prepared = std::make_unique<PreparedContexts>();
};

// Key files must be keyd's own (owner = keyd's uid) with no group or other permission bits, as
// ssh wants of a private key file; a file that is not, or is damaged, is refused on its own
// (kInternal naming the key and the file, logged at error level once per file) and the other keys
// keep working.
class Store {
 public:
  // Creates the directories and checks every key file once (Audit).
  static Expected<std::unique_ptr<Store>> Open(const std::string& options_json);

  // kNotFound when absent.
  Expected<std::shared_ptr<const SharedKey>> KeyPair(const std::string& id);
  Status WriteKeyPair(const std::string& id, EVP_PKEY* key);
  Expected<StoredSecret> ReadSecret(const std::string& id);
  Status WriteSecret(const std::string& id, const StoredSecret& secret);
  Status Delete(edgesec_key_kind kind, const std::string& id);
  Status Move(edgesec_key_kind kind, const std::string& from, const std::string& to);
  bool IsPreloaded(const std::string& id) const { return preloaded_.count(id) != 0; }
  // (id, kind) of every key, preloaded included.
  Expected<std::vector<std::pair<std::string, edgesec_key_kind>>> List();

 private:
  std::string PathFor(edgesec_key_kind kind, const std::string& id) const;
  Expected<std::string> ReadIdLine(const std::string& path) const;
  // Reads one of keyd's own key files (fs::ReadOwnedFile); kNotFound "<what> does not exist".
  Expected<std::string> ReadKeyFile(const std::string& path, const std::string& what);
  // Logs a damaged or refused key file at error level, once per file and message.
  Error Report(Error e);
  // At start: each key file parsed, damage reported; format-1 secret key files rewritten in format
  // 2 (they gain the length and checksum that make later damage visible).
  void Audit();
  void AuditFile(edgesec_key_kind kind, const std::string& path);
  std::string state_dir_;
  std::mutex reported_mutex_;
  std::set<std::string> reported_;
  std::map<std::string, std::string> preloaded_;  // id → file path
  std::shared_mutex cache_mutex_;
  std::unordered_map<std::string, std::shared_ptr<const SharedKey>> cache_;
  uint64_t generation_ = 0;  // bumped by every write, move and delete (under cache_mutex_)
};

// "ec-p256", …; kInvalidParameter for a key type keyd does not offer.
Expected<std::string> AlgorithmOf(EVP_PKEY* key);

}  // namespace edgesec::keyd::engines::file

#pragma once
// Storage and cache of the file engine; shared by its operations.

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/secret.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::file {

struct SharedKey {
  EvpPkeyPtr key;
  std::string algorithm;
};

struct StoredSecret {
  Secret bytes;
  uint32_t usage = 0;
};

class Store {
 public:
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
  std::string state_dir_;
  std::map<std::string, std::string> preloaded_;  // id → file path
  std::shared_mutex cache_mutex_;
  std::unordered_map<std::string, std::shared_ptr<const SharedKey>> cache_;
};

// "ec-p256", …; kInvalidParameter for a key type keyd does not offer.
Expected<std::string> AlgorithmOf(EVP_PKEY* key);

}  // namespace edgesec::keyd::engines::file

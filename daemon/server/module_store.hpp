#pragma once
// The local module identities created through POST /identities/modules: module id → attributes
// ("server" or "client"), kept in DIR/var/lib/edgesec/identityd/modules.json (written atomically).
// Their certs are issued fresh on every read; only the list is kept. A damaged file is kept aside
// (modules.json.bad-<UTC>) and the entries that could be read are kept; only a newer format or an
// unreadable file (owner, mode) stops identityd, with what to run.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace edgesec::identityd {

class ModuleStore {
 public:
  explicit ModuleStore(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  Status Load();
  std::map<std::string, std::string> All() const;
  std::optional<std::string> Attributes(const std::string& module_id) const;
  Status Put(const std::string& module_id, const std::string& attributes);
  // true when the module was there.
  Expected<bool> Remove(const std::string& module_id);

 private:
  Status Save(const std::map<std::string, std::string>& modules) const;
  std::string state_dir_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> modules_;
};

}  // namespace edgesec::identityd

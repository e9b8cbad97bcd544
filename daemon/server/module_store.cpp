#include "daemon/server/module_store.hpp"

#include <ctime>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/state_format.hpp"

namespace edgesec::identityd {
namespace {

constexpr int kFormat = 1;

// modules.json, every field checked: kConfig for a newer format; else the first damaged field
// (kInvalidParameter), with every entry that could be read in *modules.
Status ParseModules(const std::string& text, const std::string& path,
                    std::map<std::string, std::string>* modules) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return InvalidParameter(text.empty() ? "it is empty (0 bytes)" : "not valid JSON");
  if (!j.is_object()) return InvalidParameter("not a JSON object");
  EDGESEC_TRY(JsonFields(j).OptionalInt64("format"));
  EDGESEC_TRY(CheckStateFileFormat(j, kFormat, path));
  auto m = j.find("modules");
  if (m == j.end()) return InvalidParameter("missing parameter 'modules'");
  if (!m->is_object()) return InvalidParameter("parameter 'modules' must be an object");
  Status first;
  for (const auto& [id, attrs] : m->items()) {
    if (!IsValidId(id)) {
      if (first) first = InvalidParameter("module id '" + id + "' is not a valid id");
    } else if (!attrs.is_string()) {
      if (first) first = InvalidParameter("parameter 'modules." + id + "' must be a string");
    } else {
      (*modules)[id] = attrs.get<std::string>();
    }
  }
  return first;
}

}  // namespace

Status ModuleStore::Load() {
  std::string path = state_dir_ + "/modules.json";
  EDGESEC_ASSIGN_OR_RETURN(
      StateFileText file,
      ReadStateFile(path, 0600, "identityd",
                    "the module identities it lists must then be created again"));
  if (!file.text) return {};
  std::map<std::string, std::string> modules;
  Status parsed = ParseModules(*file.text, path, &modules);
  if (!parsed && parsed.error().kind == ErrorKind::kConfig) return parsed;  // a newer format
  if (!parsed)
    log::Error("identityd: state file '" + path + "' is damaged (" + parsed.error().message +
               "); " + KeepAside(path, static_cast<int64_t>(::time(nullptr))) + "; " +
               std::to_string(modules.size()) +
               " module identities could be read from it and are kept; any other must be created "
               "again (POST /identities/modules)");
  else if (!file.wrong.empty())
    log::Notice("identityd: state file '" + path + "' had " + file.wrong +
                "; written again with mode 0600 by identityd's user");
  std::lock_guard lock(mutex_);
  modules_ = std::move(modules);
  if (!parsed || !file.wrong.empty()) {
    if (Status st = Save(modules_); !st) log::Warning("identityd: " + st.error().Describe());
  }
  return {};
}

std::map<std::string, std::string> ModuleStore::All() const {
  std::lock_guard lock(mutex_);
  return modules_;
}

std::optional<std::string> ModuleStore::Attributes(const std::string& module_id) const {
  std::lock_guard lock(mutex_);
  auto it = modules_.find(module_id);
  if (it == modules_.end()) return std::nullopt;
  return it->second;
}

Status ModuleStore::Save(const std::map<std::string, std::string>& modules) const {
  Json j{{"format", kFormat}, {"modules", Json::object()}};
  for (const auto& [id, attrs] : modules) j["modules"][id] = attrs;
  EDGESEC_TRY(fs::MakeDirs(state_dir_, 0700));
  return fs::AtomicWriteFile(state_dir_ + "/modules.json", DumpJson(j), 0600);
}

Status ModuleStore::Put(const std::string& module_id, const std::string& attributes) {
  std::lock_guard lock(mutex_);
  auto next = modules_;
  next[module_id] = attributes;
  EDGESEC_TRY(Save(next));
  modules_ = std::move(next);
  return {};
}

Expected<bool> ModuleStore::Remove(const std::string& module_id) {
  std::lock_guard lock(mutex_);
  if (modules_.count(module_id) == 0) return false;
  auto next = modules_;
  next.erase(module_id);
  EDGESEC_TRY(Save(next));
  modules_ = std::move(next);
  return true;
}

}  // namespace edgesec::identityd

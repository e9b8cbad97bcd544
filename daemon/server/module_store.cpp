#include "daemon/server/module_store.hpp"

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/state_format.hpp"

namespace edgesec::identityd {
namespace {
constexpr int kFormat = 1;
}

Status ModuleStore::Load() {
  std::string path = state_dir_ + "/modules.json";
  auto text = fs::ReadFile(path);
  if (!text) return text.error().kind == ErrorKind::kNotFound ? Status{} : Status(text.error());
  auto j = ParseJsonObject(*text);
  if (!j) return Internal("'" + path + "' is not identityd's module list: " + j.error().message);
  EDGESEC_TRY(CheckStateFileFormat(*j, kFormat, path));
  std::map<std::string, std::string> modules;
  if (auto m = j->find("modules"); m != j->end() && m->is_object())
    for (const auto& [id, attrs] : m->items())
      if (IsValidId(id) && attrs.is_string()) modules[id] = attrs.get<std::string>();
  std::lock_guard lock(mutex_);
  modules_ = std::move(modules);
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

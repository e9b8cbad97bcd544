#include "certd/store/store.hpp"

#include <set>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/state_format.hpp"

namespace edgesec::certd::store {
namespace {

constexpr char kIdPrefix[] = "edgesec-cert-id: ";
constexpr char kKeyIdPrefix[] = "edgesec-key-id: ";
std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

Expected<std::unique_ptr<CertStore>> CertStore::Open(const std::string& state_dir,
                                                     std::map<std::string, std::string> preloaded) {
  EDGESEC_TRY(fs::MakeDirs(state_dir + "/certs", 0755));
  EDGESEC_TRY(CheckStateDirFormat(state_dir, "1", 0644, "certd"));
  auto s = std::unique_ptr<CertStore>(new CertStore(state_dir + "/certs"));
  s->preloaded_ = std::move(preloaded);
  return s;
}

void CertStore::SetPreloaded(std::map<std::string, std::string> preloaded) {
  std::lock_guard lock(mutex_);
  preloaded_ = std::move(preloaded);
}

std::string CertStore::PathFor(const std::string& id) const {
  return dir_ + "/" + FileNameForId(id) + ".pem";
}

bool CertStore::IsPreloaded(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return preloaded_.count(id) != 0;
}

Expected<std::optional<StoredCert>> CertStore::Get(const std::string& id) const {
  std::string path = PathFor(id);
  auto text = fs::ReadFile(path);
  if (text) {
    if (FirstLine(*text) != kIdPrefix + id)
      return Internal("cert file '" + path + "' does not record id '" + id + "'");
    StoredCert c{text->substr(text->find('\n') + 1), false, path, {}};
    if (c.pem.rfind(kKeyIdPrefix, 0) == 0) {
      c.key_id = FirstLine(c.pem).substr(sizeof kKeyIdPrefix - 1);
      c.pem = c.pem.find('\n') == std::string::npos ? std::string()
                                                    : c.pem.substr(c.pem.find('\n') + 1);
    }
    return std::optional<StoredCert>(std::move(c));
  }
  if (text.error().kind != ErrorKind::kNotFound) return text.error();
  std::string preloaded_path;
  {
    std::lock_guard lock(mutex_);
    auto it = preloaded_.find(id);
    if (it == preloaded_.end()) return std::optional<StoredCert>();
    preloaded_path = it->second;
  }
  auto pem = fs::ReadFile(preloaded_path);
  if (!pem)
    return pem.error().Context("reading preloaded cert '" + id + "' from '" + preloaded_path + "'");
  return std::optional<StoredCert>(StoredCert{std::move(*pem), true, preloaded_path, {}});
}

Status CertStore::Put(const std::string& id, const std::string& pem, const std::string& key_id) {
  std::string header =
      kIdPrefix + id + "\n" + (key_id.empty() ? std::string() : kKeyIdPrefix + key_id + "\n");
  EDGESEC_TRY(fs::AtomicWriteFile(PathFor(id), header + pem, 0644));
  if (on_change_) on_change_(id);
  return {};
}

Expected<bool> CertStore::Remove(const std::string& id) {
  std::string path = PathFor(id);
  bool existed = fs::Exists(path);
  EDGESEC_TRY(fs::RemoveFile(path));
  if (existed && on_change_) on_change_(id);
  return existed;
}

Expected<std::vector<std::string>> CertStore::Ids() const {
  std::set<std::string> ids;
  EDGESEC_ASSIGN_OR_RETURN(auto names, fs::ListFiles(dir_));
  for (const auto& name : names) {
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".pem") != 0) continue;
    auto text = fs::ReadFile(dir_ + "/" + name, 1 << 20);
    if (!text) continue;  // vanished between listing and reading
    std::string line = FirstLine(*text);
    if (line.rfind(kIdPrefix, 0) == 0) ids.insert(line.substr(sizeof kIdPrefix - 1));
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, path] : preloaded_) ids.insert(id);
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

}  // namespace edgesec::certd::store

#include "certd/store/store.hpp"

#include <ctime>
#include <set>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/state_format.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::certd::store {
namespace {

constexpr char kIdPrefix[] = "edgesec-cert-id: ";
constexpr char kKeyIdPrefix[] = "edgesec-key-id: ";
std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::shared_ptr<const CertFacts> FactsFor(const edgesec::x509::Chain& chain) {
  auto facts = FactsOf(chain);
  return facts ? std::make_shared<const CertFacts>(std::move(*facts)) : nullptr;
}

constexpr size_t kMaxRemembered = 64;  // a few PEM chains; issuers are few

}  // namespace

std::optional<StoredCert> CertStore::Remembered(const std::string& path, FileStamp* stamp) const {
  std::optional<FileStamp> now = FileStamp::Of(path);
  if (!now) {
    *stamp = FileStamp{};
    Forget(path);
    return std::nullopt;
  }
  *stamp = *now;
  std::lock_guard lock(read_mutex_);
  auto it = read_.find(path);
  if (it == read_.end() || !(it->second.first == *stamp)) return std::nullopt;
  return it->second.second;
}

void CertStore::Remember(const std::string& path, const FileStamp& stamp,
                         const StoredCert& cert) const {
  if (stamp.ino == 0) return;  // not stat'ed: nothing to recognise it by
  std::lock_guard lock(read_mutex_);
  if (read_.size() >= kMaxRemembered && read_.count(path) == 0) read_.clear();
  read_[path] = {stamp, cert};
}

void CertStore::Forget(const std::string& path) const {
  std::lock_guard lock(read_mutex_);
  read_.erase(path);
}

Expected<std::unique_ptr<CertStore>> CertStore::Open(const std::string& state_dir,
                                                     std::map<std::string, std::string> preloaded) {
  EDGESEC_TRY(fs::MakeDirs(state_dir + "/certs", 0755));
  EDGESEC_TRY(CheckStateDirFormat(state_dir, "1", 0644, "certd"));
  auto s = std::unique_ptr<CertStore>(new CertStore(state_dir + "/certs"));
  s->preloaded_ = std::move(preloaded);
  s->Audit();
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

Expected<std::optional<StoredCert>> CertStore::ReadStored(const std::string& path,
                                                          const std::string& id) const {
  FileStamp stamp{};
  if (auto known = Remembered(path, &stamp)) return std::optional<StoredCert>(std::move(*known));
  auto text = fs::ReadOwnedFile(path, 022);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound) return std::optional<StoredCert>();
    return text.error();  // kInternal: another owner, writable by others; kIo: cannot read
  }
  auto damaged = [&](const std::string& why) {
    return Internal("cert file '" + path + "' of cert '" + id + "' is damaged (" + why + ")");
  };
  if (FirstLine(*text) != kIdPrefix + id || text->find('\n') == std::string::npos)
    return damaged("it does not start with the line 'edgesec-cert-id: " + id + "'");
  StoredCert c{text->substr(text->find('\n') + 1), false, path, {}};
  if (c.pem.rfind(kKeyIdPrefix, 0) == 0) {
    c.key_id = FirstLine(c.pem).substr(sizeof kKeyIdPrefix - 1);
    c.pem =
        c.pem.find('\n') == std::string::npos ? std::string() : c.pem.substr(c.pem.find('\n') + 1);
    if (!ValidateId(c.key_id, "key id")) return damaged("its key id line is malformed");
  }
  auto chain = edgesec::x509::ParsePemChain(c.pem);
  if (!chain) return damaged(chain.error().message);
  c.facts = FactsFor(*chain);
  Remember(path, stamp, c);
  return std::optional<StoredCert>(std::move(c));
}

void CertStore::SetAsideDamaged(const std::string& path, const Error& why) const {
  log::Error("certd: " + why.Describe() + "; " + fs::SetAside(path, ::time(nullptr)) +
             "; the cert is treated as absent until it is imported or issued again (a "
             "credential's cert is issued again by the renewal scheduler)");
}

Expected<std::optional<StoredCert>> CertStore::Get(const std::string& id) const {
  std::string path = PathFor(id);
  auto stored = ReadStored(path, id);
  if (!stored && stored.error().kind == ErrorKind::kInternal) {
    // Damaged or not certd's: kept aside (under the write lock, so a cert put meanwhile stays).
    std::lock_guard lock(files_mutex_);
    stored = ReadStored(path, id);
    if (!stored && stored.error().kind == ErrorKind::kInternal) {
      SetAsideDamaged(path, stored.error());
      stored = std::optional<StoredCert>();
    }
  }
  if (!stored) return stored.error();
  if (*stored) return stored;
  std::string preloaded_path;
  {
    std::lock_guard lock(mutex_);
    auto it = preloaded_.find(id);
    if (it == preloaded_.end()) return std::optional<StoredCert>();
    preloaded_path = it->second;
  }
  FileStamp stamp{};
  if (auto known = Remembered(preloaded_path, &stamp))
    return std::optional<StoredCert>(std::move(*known));
  auto pem = fs::ReadFile(preloaded_path);
  if (!pem)
    return pem.error().Context("reading preloaded cert '" + id + "' from '" + preloaded_path + "'");
  StoredCert c{std::move(*pem), true, preloaded_path, {}};
  if (auto chain = edgesec::x509::ParsePemChain(c.pem)) c.facts = FactsFor(*chain);
  Remember(preloaded_path, stamp, c);
  return std::optional<StoredCert>(std::move(c));
}

void CertStore::Audit() {
  auto names = fs::ListFiles(dir_);
  if (!names) {
    log::Error("certd: " + names.error().Describe());
    return;
  }
  for (const auto& name : *names) {
    if (name.find(".tmp-") != std::string::npos || name.find(".bad-") != std::string::npos)
      continue;
    std::string path = dir_ + "/" + name;
    auto text = fs::ReadFile(path, 1 << 20);
    if (!text) continue;  // reported when the cert is used
    std::string line = FirstLine(*text);
    std::string id = line.rfind(kIdPrefix, 0) == 0 ? line.substr(sizeof kIdPrefix - 1) : "";
    if (!id.empty() && PathFor(id) == path) {
      (void)Get(id);  // keeps a damaged file aside
      continue;
    }
    std::lock_guard lock(files_mutex_);
    SetAsideDamaged(path, Internal("cert file '" + path +
                                   "' is damaged (its first line names no cert id of this "
                                   "file: not 'edgesec-cert-id: <id>', or another cert's)"));
  }
}

Status CertStore::Put(const std::string& id, const std::string& pem, const std::string& key_id) {
  std::string header =
      kIdPrefix + id + "\n" + (key_id.empty() ? std::string() : kKeyIdPrefix + key_id + "\n");
  {
    std::lock_guard lock(files_mutex_);
    Status written = fs::AtomicWriteFile(PathFor(id), header + pem, 0644);
    Forget(PathFor(id));  // replaced (its stamp differs anyway: a new inode)
    EDGESEC_TRY(written);
  }
  if (on_change_) on_change_(id);
  return {};
}

Expected<bool> CertStore::Remove(const std::string& id) {
  std::string path = PathFor(id);
  std::unique_lock lock(files_mutex_);
  bool existed = fs::Exists(path);
  Status removed = fs::RemoveFile(path);
  Forget(path);
  EDGESEC_TRY(removed);
  lock.unlock();
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

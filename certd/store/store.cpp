#include "certd/store/store.hpp"

#include <unistd.h>

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

// The record of `id` in `text`: the cert's PEM and the key id line, if any.
StoredCert ParseRecord(const std::string& text, const std::string& path) {
  StoredCert c{
      text.find('\n') == std::string::npos ? std::string() : text.substr(text.find('\n') + 1),
      false,
      path,
      {}};
  if (c.pem.rfind(kKeyIdPrefix, 0) == 0) {
    c.key_id = FirstLine(c.pem).substr(sizeof kKeyIdPrefix - 1);
    c.pem =
        c.pem.find('\n') == std::string::npos ? std::string() : c.pem.substr(c.pem.find('\n') + 1);
  }
  return c;
}

// Why `text`, read from the file of `id`, is no cert record of `id` (0 bytes, cut, another file's
// content, another id's record); empty when it is one.
std::string Damage(const std::string& text, const std::string& id) {
  if (text.empty()) return "it is empty (0 bytes)";
  std::string first = FirstLine(text);
  if (first.rfind(kIdPrefix, 0) != 0)
    return "it does not start with the line '" + std::string(kIdPrefix) + id + "'";
  if (first != kIdPrefix + id)
    return "it records id '" + first.substr(sizeof kIdPrefix - 1) + "', not '" + id + "'";
  auto chain = edgesec::x509::ParsePemChain(ParseRecord(text, "").pem);
  if (!chain) return "its certificate is not a readable PEM chain (" + chain.error().message + ")";
  return {};
}

Error Unreadable(const std::string& id, const Error& e) {
  return MakeError(e.kind, "stored cert '" + id + "' cannot be read: " + e.message +
                               "; certd (uid " + std::to_string(::getuid()) +
                               ") must be able to read it: give it back to certd's user with "
                               "mode 0644, or remove it to have a credential issued again");
}

}  // namespace

// A damaged record is no cert: kept aside for the operator (never read again) and reported once;
// the id is then served as if it were not stored — its preloaded file, else nothing (certd's
// renewal issues a credential's cert again at once). Only while the file still holds the damaged
// text: a Put that replaced it meanwhile wins.
void CertStore::KeepDamagedAside(const std::string& id, const std::string& path,
                                 const std::string& text, const std::string& damage) const {
  {
    std::lock_guard lock(write_mutex_);
    auto again = fs::ReadFile(path);
    if (!again || *again != text) return;
    LogKeptAside(id, path, damage, KeepAside(path, static_cast<int64_t>(::time(nullptr))));
  }
  if (on_change_) on_change_(id);  // e.g. certd's renewal: a credential is issued again at once
}

void CertStore::LogKeptAside(const std::string& id, const std::string& path,
                             const std::string& damage, const std::string& aside) const {
  log::Error("certd: stored cert '" + id + "' in '" + path + "' is damaged (" + damage + "); " +
             aside + "; '" + id + "' is served as not stored: " +
             (IsPreloaded(id) ? "its preloaded file again"
                              : "a credential of certd's config is issued again (with its key "
                                "from the config, or a new one), an imported cert must be "
                                "imported again"));
}

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
  // A damaged file is kept aside, then the id is read again (a Put may have replaced it).
  for (int i = 0; i < 3 && text; ++i) {
    std::string damage = Damage(*text, id);
    if (damage.empty()) return std::optional<StoredCert>(ParseRecord(*text, path));
    KeepDamagedAside(id, path, *text, damage);
    text = fs::ReadFile(path);
  }
  if (text) return Internal("cert file '" + path + "' keeps being damaged while it is read");
  if (text.error().kind != ErrorKind::kNotFound) return Unreadable(id, text.error());
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
  {
    std::lock_guard lock(write_mutex_);
    EDGESEC_TRY(fs::AtomicWriteFile(PathFor(id), header + pem, 0644));
  }
  if (on_change_) on_change_(id);
  return {};
}

Expected<bool> CertStore::Remove(const std::string& id) {
  std::string path = PathFor(id);
  bool existed = false;
  {
    std::lock_guard lock(write_mutex_);
    existed = fs::Exists(path);
    EDGESEC_TRY(fs::RemoveFile(path));
  }
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

#include "certd/store/history.hpp"

#include <ctime>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"

namespace edgesec::certd::store {
namespace {

constexpr size_t kMaxFileBytes = 8 << 20;  // 1000 generations are about 0.5 MB

}  // namespace

Expected<std::unique_ptr<History>> History::Open(const std::string& state_dir) {
  EDGESEC_TRY(fs::MakeDirs(state_dir + "/history", 0755));
  return std::unique_ptr<History>(new History(state_dir + "/history"));
}

std::string History::PathFor(const std::string& id) const {
  return dir_ + "/" + FileNameForId(id) + ".json";
}

std::shared_ptr<const HistoryDoc> History::Load(const std::string& id) const {
  std::string path = PathFor(id);
  std::optional<fs::FileStamp> stamp = fs::FileStamp::Of(path);
  if (!stamp) {
    std::lock_guard lock(cache_mutex_);
    cache_.erase(id);
    return nullptr;
  }
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(id); it != cache_.end() && it->second.first == *stamp)
      return it->second.second;
  }
  auto text = fs::ReadOwnedFile(path, 022, kMaxFileBytes);
  Expected<HistoryDoc> doc = text ? ParseHistory(*text, id) : Expected<HistoryDoc>(text.error());
  if (!doc) {
    if (doc.error().kind == ErrorKind::kNotFound) return nullptr;
    // Damaged, too large, not certd's, or a newer format: kept aside, never fatal; the cert stays.
    log::Error("certd: history file '" + path + "' of cert '" + id + "' is damaged (" +
               doc.error().message + "); " + fs::SetAside(path, ::time(nullptr)) +
               "; its history starts again from the cert certd holds (generation facts before "
               "it are in the kept-aside file)");
    std::lock_guard lock(cache_mutex_);
    cache_.erase(id);
    return nullptr;
  }
  auto shared = std::make_shared<const HistoryDoc>(std::move(*doc));
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= 256 && cache_.count(id) == 0) cache_.clear();
  cache_[id] = {*stamp, shared};
  return shared;
}

Status History::Write(const std::string& id, const HistoryDoc& doc) {
  Status st = fs::AtomicWriteFile(PathFor(id), SerializeHistory(doc), 0644);
  std::lock_guard lock(cache_mutex_);
  cache_.erase(id);
  return st;
}

Status History::Record(const std::string& id, Generation g) {
  std::lock_guard lock(write_mutex_);
  auto current = Load(id);
  HistoryDoc doc = current ? *current : HistoryDoc{id, 0, {}};
  if (!doc.generations.empty() && doc.generations.back().sha256 == g.sha256) return {};
  if (!doc.generations.empty()) {  // under the lock: the generation it really follows
    g.from_serial = doc.generations.back().serial;
    g.from_sha256 = doc.generations.back().sha256;
  }
  if (AppendGeneration(&doc, std::move(g)))
    log::Notice("certd: the history of cert '" + id + "' keeps " + std::to_string(kMaxGenerations) +
                " generations: the first and the newest; " + std::to_string(doc.dropped) +
                " in between have been dropped so far");
  return Write(id, doc);
}

Status History::Remove(const std::string& id) {
  std::lock_guard lock(write_mutex_);
  Status st = fs::RemoveFile(PathFor(id));
  std::lock_guard cache_lock(cache_mutex_);
  cache_.erase(id);
  return st;
}

Status History::MarkRevoked(const std::string& id, const std::string& sha256, const Revocation& r) {
  std::lock_guard lock(write_mutex_);
  auto current = Load(id);
  if (current) {
    HistoryDoc doc = *current;
    for (auto& g : doc.generations) {
      if (g.sha256 != sha256) continue;
      g.revoked = r;
      return Write(id, doc);
    }
  }
  return NotFound("cert '" + id + "' has no generation with SHA-256 " + sha256);
}

bool History::IsRevoked(const std::string& id, const std::string& sha256) const {
  auto doc = Load(id);
  if (!doc) return false;
  for (auto it = doc->generations.rbegin(); it != doc->generations.rend(); ++it)
    if (it->sha256 == sha256) return it->revoked.has_value();
  return false;
}

}  // namespace edgesec::certd::store

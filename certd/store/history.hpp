#pragma once
// The reissuance history of the certs certd holds (docs/certd.md, "Lifecycle: status, type,
// level, history"): one JSON file per cert id under <state dir>/history/, named like the cert's
// file, written atomically with mode 0644. Each generation of the cert (the first issuance or
// import included) records its serial, fingerprints, key id, validity, origin and the reason it
// was made. It is also where a revocation is recorded (MarkRevoked: the seam for CRL/OCSP
// checking), so that StatusAt can honour it.
// A damaged file (not JSON, a field missing or mistyped, generations out of order) is renamed to
// <file>.bad-<UTC> with one error line naming the file and the field; the cert is untouched and its
// history starts again from the cert certd holds (a synthesized first generation).

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fs.hpp"

namespace edgesec::certd::store {

// How many generations a history keeps: generation 1 and the newest kMaxGenerations - 1; the ones
// in between are dropped and counted in `dropped`.
inline constexpr size_t kMaxGenerations = 1000;

// "initial" (generation 1), then why a new generation was made.
inline const char* const kReasons[] = {"initial", "threshold",      "manual",
                                       "revoked", "key-compromise", "source-changed"};
// "issued" (by certd, locally or through EST), "imported" (PUT /certificates), "preloaded" (the
// config's file).
inline const char* const kOrigins[] = {"issued", "imported", "preloaded"};
bool IsReason(const std::string& s);

struct Revocation {
  int64_t at = 0;
  std::string reason;  // as the revocation source says it (e.g. a CRL reason code's name)
};

struct Generation {
  int64_t number = 1;
  std::string serial, sha256, public_key_sha256;
  std::string key_id;  // empty: certd knows no key id for it
  int64_t not_before = 0, not_after = 0;
  std::string origin, reason;
  std::string from_serial, from_sha256;  // reissuedFrom; empty for generation 1
  int64_t reissued_at = 0;               // when certd recorded it
  bool synthesized = false;              // made from a cert stored before its history was kept
  std::optional<Revocation> revoked;
};

struct HistoryDoc {
  std::string cert_id;
  int64_t dropped = 0;  // generations dropped by the cap (between generation 1 and the rest)
  std::vector<Generation> generations;  // oldest first, numbers increasing
};

// The file's text; kInvalidParameter naming the field ("generations[3].serial must be …") or
// saying it is not JSON; kConfig for a newer format.
Expected<HistoryDoc> ParseHistory(const std::string& text, const std::string& cert_id);
std::string SerializeHistory(const HistoryDoc& doc);
// Appends `g` (numbered after the last one), applying the cap; true when generations were dropped.
bool AppendGeneration(HistoryDoc* doc, Generation g);

class History {
 public:
  // Creates <state_dir>/history.
  static Expected<std::unique_ptr<History>> Open(const std::string& state_dir);

  // The stored history of `id`: nullopt when there is none, or when the file is damaged (then kept
  // aside, one error line). Served from memory while the file's stamp is unchanged.
  std::shared_ptr<const HistoryDoc> Load(const std::string& id) const;
  // Appends `g` unless the latest generation already has its sha256; writes atomically.
  Status Record(const std::string& id, Generation g);
  // Removes the history of `id` (the cert was deleted).
  Status Remove(const std::string& id);
  // The revocation seam: marks the generation of `id` whose fingerprint is `sha256` revoked;
  // kNotFound when no generation has it.
  Status MarkRevoked(const std::string& id, const std::string& sha256, const Revocation& r);
  // Whether the generation of `id` with fingerprint `sha256` is recorded revoked.
  bool IsRevoked(const std::string& id, const std::string& sha256) const;
  std::string PathFor(const std::string& id) const;

 private:
  explicit History(std::string dir) : dir_(std::move(dir)) {}
  Status Write(const std::string& id, const HistoryDoc& doc);
  std::string dir_;
  std::mutex write_mutex_;  // Record, Remove, MarkRevoked: read, change, write
  mutable std::mutex cache_mutex_;
  mutable std::map<std::string, std::pair<fs::FileStamp, std::shared_ptr<const HistoryDoc>>> cache_;
};

}  // namespace edgesec::certd::store

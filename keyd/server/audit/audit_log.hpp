#pragma once
// The audit log file (docs/audit.md): appends hash-chained lines with O_APPEND, one write(2) per
// line and one fdatasync per batch, rotates by size keeping the chain, follows an external
// rename, and recovers `seq` and the last hash from the file's tail (or keyd's head file) at start.
// Not thread-safe: the Auditor serializes calls. Never fails keyd: errors are logged (<3>).

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/keyd/config.hpp"

namespace edgesec::keyd::audit {

// A line's fields in the order they are written; AuditLog adds `seq` first and `prev` last.
using Record = nlohmann::ordered_json;

class AuditLog {
 public:
  // `path`: DIR/var/log/edgesec/audit.jsonl; `head_path`: keyd's record of what it last wrote.
  AuditLog(std::string path, std::string head_path)
      : path_(std::move(path)), head_path_(std::move(head_path)) {}
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Recovers the chain and opens the file. Returns the records to write first: an audit.damaged
  // record when the tail was damaged (the file is then set aside) or is not what keyd last wrote.
  std::vector<Record> Open(int64_t now);
  void SetLimits(const AuditSection& limits) { limits_ = limits; }
  // Writes `records` as lines, fdatasync, updates the head; false (logged) when it could not.
  bool Append(const std::vector<Record>& records);
  bool is_open() const { return fd_ >= 0; }

 private:
  bool Reopen();
  bool FollowExternalRename();
  bool Rotate();
  bool WriteLine(const std::string& line);

  std::string path_, head_path_;
  AuditSection limits_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  uint64_t size_ = 0;
  uint64_t seq_ = 0;
  std::string prev_;
  bool failing_ = false;  // the last write failed: the next success is logged
};

}  // namespace edgesec::keyd::audit

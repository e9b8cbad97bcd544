#include "keyd/server/audit/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "common/audit/format.hpp"
#include "common/audit/verify.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"

namespace edgesec::keyd::audit {
namespace {

constexpr size_t kTailBytes = 2 * edgesec::audit::kMaxLineBytes;

struct Tail {
  bool present = false;  // the file has a line
  bool damaged = false;
  std::string why;
  uint64_t seq = 0;
  std::string hash;
  std::map<uint64_t, std::string>
      recent;  // seq -> hash of the whole lines read (the last among them)
};

// The hashes of the whole lines of `buf` (the end of the file, without its last newline), by seq;
// `cut` when the first line may be partial (the read began inside the file).
std::map<uint64_t, std::string> LinesBySeq(const std::string& buf, bool cut) {
  std::map<uint64_t, std::string> out;
  size_t at = 0;
  if (cut) at = buf.find('\n') == std::string::npos ? buf.size() : buf.find('\n') + 1;
  while (at < buf.size()) {
    size_t end = buf.find('\n', at);
    if (end == std::string::npos) end = buf.size();
    std::string line = buf.substr(at, end - at);
    if (auto parsed = edgesec::audit::ParseLine(line))
      out[parsed->seq] = edgesec::audit::HashOf(line);
    at = end + 1;
  }
  return out;
}

// The last line of `path`: read from its last kTailBytes, parsed.
Tail ReadTail(const std::string& path) {
  Tail t;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return t;
  struct stat st {};
  std::string buf;
  off_t from = 0;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    from = st.st_size > static_cast<off_t>(kTailBytes) ? st.st_size - kTailBytes : 0;
    buf.resize(static_cast<size_t>(st.st_size - from));
    ssize_t n = ::pread(fd, buf.data(), buf.size(), from);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (from > 0 && buf.find('\n') == std::string::npos) buf.clear();
  }
  ::close(fd);
  if (buf.empty()) {
    t.damaged = st.st_size > 0;
    t.why = "its end could not be read";
    return t;
  }
  t.present = true;
  if (buf.back() != '\n') {
    t.damaged = true;
    t.why = "its last line is truncated (no newline)";
    return t;
  }
  buf.pop_back();
  std::string line = buf.substr(buf.rfind('\n') == std::string::npos ? 0 : buf.rfind('\n') + 1);
  auto parsed = edgesec::audit::ParseLine(line);
  if (!parsed) {
    t.damaged = true;
    t.why = "its last line does not parse (" + parsed.error().message + ")";
    return t;
  }
  t.seq = parsed->seq;
  t.hash = edgesec::audit::HashOf(line);
  t.recent = LinesBySeq(buf, from > 0);
  return t;
}

std::string BaseName(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<Record> AuditLog::Open(int64_t now) {
  std::vector<Record> first;
  prev_ = std::string(edgesec::audit::kGenesisPrev);
  if (Status st = fs::MakeDirs(fs::DirName(path_), 0750); !st) {
    log::Error("keyd: the audit log is off: " + st.error().Describe());
    return first;
  }
  Tail tail = ReadTail(path_);
  if (!tail.present && !tail.damaged) tail = ReadTail(path_ + ".1");  // rotated, nothing since
  auto head = edgesec::audit::ReadHead(head_path_);
  if (tail.damaged) {
    std::string aside = fs::SetAside(path_, now);
    log::Error("keyd: the audit log '" + path_ + "' is damaged: " + tail.why + "; it was " + aside +
               ", and a new log starts with an audit.damaged line naming it");
    first.push_back({{"event", "audit.damaged"},
                     {"object", BaseName(path_)},
                     {"reason", tail.why + "; " + aside}});
  } else if (tail.present) {
    seq_ = tail.seq;
    prev_ = tail.hash;
  }
  // A crash (power cut, kill -9) between a batch's write and the head's update leaves the log a
  // batch ahead of the head: the head's own line is still there, and the lines after it chain.
  bool head_lags = head && !tail.damaged && head->seq < seq_ && tail.recent.count(head->seq) == 1 &&
                   tail.recent[head->seq] == head->hash;
  if (head_lags)
    log::Notice("keyd: the audit log goes on past the head keyd last recorded (seq " +
                std::to_string(head->seq) + " to " + std::to_string(seq_) +
                "): keyd stopped between writing lines and recording them; it chains on from seq " +
                std::to_string(seq_));
  if (head && !head_lags && (head->seq != seq_ || head->hash != prev_) && !tail.damaged) {
    log::Error("keyd: the audit log ends at seq " + std::to_string(seq_) +
               ", which is not the line keyd last wrote (seq " + std::to_string(head->seq) +
               "): it was cut or changed while keyd was stopped; keyd chains on from the line it "
               "wrote, so edgectl audit verify names the place");
    first.push_back({{"event", "audit.damaged"},
                     {"object", BaseName(path_)},
                     {"reason", "the log ended at seq " + std::to_string(seq_) +
                                    ", keyd last wrote seq " + std::to_string(head->seq)}});
    seq_ = head->seq;
    prev_ = head->hash;
  }
  Reopen();
  return first;
}

bool AuditLog::Reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) {
    if (!failing_)
      log::Error("keyd: cannot open the audit log '" + path_ + "': " + std::strerror(errno));
    failing_ = true;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return false;
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  size_ = static_cast<uint64_t>(st.st_size);
  return true;
}

// logrotate-style: the file was renamed (or removed) under keyd; the next line goes to a new file
// at `path_`, chained to the last line keyd wrote.
bool AuditLog::FollowExternalRename() {
  struct stat st {};
  if (fd_ >= 0 && ::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_)
    return true;
  return Reopen();
}

bool AuditLog::Rotate() {
  const unsigned keep = limits_.keep == 0 ? 1 : limits_.keep;
  auto name = [&](unsigned i) { return path_ + "." + std::to_string(i); };
  ::unlink(name(keep).c_str());
  for (unsigned i = keep - 1; i >= 1; --i) ::rename(name(i).c_str(), name(i + 1).c_str());
  if (::rename(path_.c_str(), name(1).c_str()) != 0) {
    log::Error("keyd: cannot rotate the audit log '" + path_ + "': " + std::strerror(errno));
    return false;
  }
  log::Info("keyd: rotated the audit log to '" + name(1) + "'");
  return Reopen();
}

bool AuditLog::WriteLine(const std::string& line) {
  ssize_t n = ::write(fd_, line.data(), line.size());
  if (n == static_cast<ssize_t>(line.size())) {
    size_ += line.size();
    return true;
  }
  if (!failing_)
    log::Error("keyd: cannot append to the audit log '" + path_ +
               "': " + (n < 0 ? std::strerror(errno) : "short write"));
  failing_ = true;
  return false;
}

bool AuditLog::Append(const std::vector<Record>& records) {
  if (!FollowExternalRename()) return false;
  for (const Record& r : records) {
    Record line{{"seq", seq_ + 1}};
    for (const auto& [k, v] : r.items()) line[k] = v;
    line["prev"] = prev_;
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (limits_.max_size > 0 && size_ > 0 && size_ + text.size() + 1 > limits_.max_size &&
        !Rotate())
      return false;
    if (!WriteLine(text + "\n")) return false;
    ++seq_;
    prev_ = edgesec::audit::HashOf(text);
  }
  if (::fdatasync(fd_) != 0) log::Warning("keyd: fdatasync of the audit log failed");
  if (failing_) log::Notice("keyd: the audit log '" + path_ + "' is written again");
  failing_ = false;
  Status st = fs::AtomicWriteFile(head_path_, edgesec::audit::FormatHead(seq_, prev_), 0600);
  if (!st) log::Warning("keyd: cannot record the audit log's head: " + st.error().Describe());
  return true;
}

}  // namespace edgesec::keyd::audit

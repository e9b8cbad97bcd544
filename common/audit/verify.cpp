#include "common/audit/verify.hpp"

#include <fstream>
#include <sstream>

#include "common/audit/format.hpp"
#include "common/fs.hpp"

namespace edgesec::audit {
namespace {

constexpr size_t kMaxFileBytes = size_t{1} << 30;

struct Walk {
  VerifyResult r;
  bool started = false;
  std::optional<Head> head;
  std::string hash_at_head;  // of the line whose seq is head->seq
  uint64_t first_seq = 0;

  bool Fail(const std::string& file, size_t line, std::string why) {
    r.ok = false;
    r.where = file + ":" + std::to_string(line);
    r.reason = std::move(why);
    return false;
  }

  // One line of `file` (1-based `n`); false at the first bad line.
  bool Line(const std::string& file, size_t n, std::string_view text) {
    auto parsed = ParseLine(text);
    if (!parsed) return Fail(file, n, "does not parse: " + parsed.error().message);
    if (started) {
      if (parsed->seq != r.last_seq + 1)
        return Fail(file, n,
                    "seq " + std::to_string(parsed->seq) + " follows seq " +
                        std::to_string(r.last_seq) + " (lines removed or reordered)");
      if (parsed->prev != r.last_hash)
        return Fail(file, n,
                    "does not chain: its prev is not the SHA-256 of the line before (that line "
                    "was changed, or lines were removed or reordered)");
    }
    started = true;
    r.last_seq = parsed->seq;
    r.last_hash = HashOf(text);
    if (head && parsed->seq == head->seq) hash_at_head = r.last_hash;
    if (r.lines == 0) first_seq = parsed->seq;
    ++r.lines;
    return true;
  }
};

}  // namespace

std::vector<std::string> ChainFiles(const std::string& current) {
  std::vector<std::string> rotated;
  for (int i = 1; fs::Exists(current + "." + std::to_string(i)); ++i)
    rotated.push_back(current + "." + std::to_string(i));
  std::vector<std::string> out(rotated.rbegin(), rotated.rend());
  if (fs::Exists(current)) out.push_back(current);
  return out;
}

Expected<VerifyResult> VerifyFiles(const std::vector<std::string>& files,
                                   const std::optional<Head>& head) {
  if (files.empty()) return MakeError(ErrorKind::kNotFound, "no audit log file to verify");
  Walk w;
  w.head = head;
  for (const std::string& file : files) {
    EDGESEC_ASSIGN_OR_RETURN(std::string data, fs::ReadFile(file, kMaxFileBytes));
    ++w.r.files;
    size_t pos = 0, n = 0;
    while (pos < data.size()) {
      size_t end = data.find('\n', pos);
      ++n;
      if (end == std::string::npos) {
        w.Fail(file, n, "the last line is truncated (no newline at its end)");
        return w.r;
      }
      if (!w.Line(file, n, std::string_view(data).substr(pos, end - pos))) return w.r;
      pos = end + 1;
    }
  }
  // keyd may have written lines since it wrote its head: only the line at the head's seq is
  // checked.
  if (head && w.started && w.r.ok && w.first_seq <= head->seq &&
      (head->seq > w.r.last_seq || w.hash_at_head != head->hash)) {
    w.r.ok = false;
    w.r.where = files.back() + ":end";
    w.r.reason = head->seq > w.r.last_seq
                     ? "the log ends at seq " + std::to_string(w.r.last_seq) +
                           ", but keyd last wrote seq " + std::to_string(head->seq) + " (" +
                           head->file + "): the log was cut"
                     : "the line with seq " + std::to_string(head->seq) +
                           " is not the one keyd wrote (" + head->file + "): it was changed";
  }
  return w.r;
}

std::optional<Head> ReadHead(const std::string& path) {
  auto text = fs::ReadFile(path, 4096);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  Head h;
  if (!(in >> h.seq >> h.hash) || h.hash.size() != 64) return std::nullopt;
  h.file = path;
  return h;
}

std::string FormatHead(uint64_t seq, const std::string& hash) {
  return std::to_string(seq) + " " + hash + "\n";
}

}  // namespace edgesec::audit

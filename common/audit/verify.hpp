#pragma once
// Checks an audit log's hash chain (docs/audit.md, "Verify"): every line parses, its `seq` is one
// more than the line before and its `prev` is the SHA-256 of the line before, across the rotated
// files (oldest first) and the current one; the last line ends with a newline. Used by edgectl
// audit verify and edgectl check.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace edgesec::audit {

// What keyd last wrote (its head file in its state directory): lets verify see a log cut at a line
// boundary or an edited last line, which the chain alone cannot show.
struct Head {
  uint64_t seq = 0;
  std::string hash;  // of the last line keyd wrote
  std::string file;  // where the head was read from, for messages
};

struct VerifyResult {
  bool ok = true;
  size_t lines = 0;       // lines checked
  size_t files = 0;       // files checked
  std::string where;      // "FILE:LINE" of the first bad line (empty when ok)
  std::string reason;     // why it is bad
  uint64_t last_seq = 0;  // of the last good line
  std::string last_hash;  // SHA-256 of the last good line
};

// `current` and its rotated files `current`.1, .2, … (as many as exist without a gap), oldest
// first, the current file last when it exists.
std::vector<std::string> ChainFiles(const std::string& current);

// Walks `files` in order as one chain. The first line of the first file starts the chain (its
// `prev` is not checked: older files may have been rotated away). kNotFound when no file exists;
// kIo when one cannot be read.
Expected<VerifyResult> VerifyFiles(const std::vector<std::string>& files,
                                   const std::optional<Head>& head = std::nullopt);

// Reads keyd's head file ("SEQ HASH\n"); nullopt when it is missing or unreadable.
std::optional<Head> ReadHead(const std::string& path);
std::string FormatHead(uint64_t seq, const std::string& hash);

}  // namespace edgesec::audit

#pragma once
// The audit log's line format (docs/audit.md): one JSON object per line, each carrying `seq` (one
// more than the line before) and `prev`, the SHA-256 (lowercase hex) of the previous line's exact
// bytes without its newline. keyd writes it (keyd/server/audit/), edgectl audit verify and edgectl
// check read it (common/audit/verify.hpp). Shared here so that writer and reader agree.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace edgesec::audit {

// The `prev` of a genesis line: the first line of a log that has no predecessor.
inline constexpr std::string_view kGenesisPrev =
    "0000000000000000000000000000000000000000000000000000000000000000";
// Longer lines are refused by the writer and reported by the verifier.
inline constexpr size_t kMaxLineBytes = 4096;
// The longest text field of a posted event (object ids, reasons).
inline constexpr size_t kMaxFieldBytes = 256;

// Events keyd records itself (never accepted from POST /audit).
bool IsKeydEvent(std::string_view event);
// Events other services may post (cert.issue, config.apply, …).
bool IsPostableEvent(std::string_view event);
// Services that may name themselves in a posted event.
bool IsReportingService(std::string_view service);
// "a, b, c": the postable events, for error messages and docs.
std::string PostableEventList();

// Printable ASCII or UTF-8, no control character (C0, DEL), at most `max` bytes.
bool IsCleanText(std::string_view text, size_t max = kMaxFieldBytes);

// What the chain needs of one line.
struct Line {
  uint64_t seq = 0;
  std::string prev;   // 64 lowercase hex digits
  std::string event;  // one of the known events
};

// Parses one line (without its newline): a JSON object with a positive integer `seq`, a `prev` of
// 64 lowercase hex digits, an RFC 3339 `time`, a `service`, a known `event`. kInvalidParameter
// naming the first field that is missing or wrong.
Expected<Line> ParseLine(std::string_view text);

// SHA-256 of `line`'s bytes, lowercase hex: the next line's `prev`.
std::string HashOf(std::string_view line);

}  // namespace edgesec::audit

#pragma once
// A credential's renewal policy (DESIGN.md, "Renewal engine") and its grammar: `N%` (1–99) of the
// certificate's lifetime, or an absolute time `Nd`/`Nday`, `Nh`, `Nm`/`Nmin` (also `Ns` where a
// plain duration is read: tick, retry_floor). Zero, negative and malformed values are errors;
// "longer than the lifetime" can only be known with the certificate (decision.hpp).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace edgesec::certd::renewal {

struct Span {
  enum class Kind { kPercent, kSeconds };
  Kind kind = Kind::kPercent;
  int64_t value = 80;  // percent (1–99) or seconds (> 0)
  std::string text = "80%";

  static Span Percent(int64_t p) { return Span{Kind::kPercent, p, std::to_string(p) + "%"}; }
  static Span Seconds(int64_t s, std::string text) {
    return Span{Kind::kSeconds, s, std::move(text)};
  }
  // Of a lifetime of `lifetime` seconds.
  int64_t Of(int64_t lifetime) const {
    return kind == Kind::kPercent ? lifetime * value / 100 : value;
  }
};

// `N%` or `Nd|Nday|Nh|Nm|Nmin`; `allow_seconds` also accepts `Ns`. kInvalidParameter saying what
// is accepted.
Expected<Span> ParseSpan(std::string_view text, bool allow_percent = true,
                         bool allow_seconds = false);

struct Policy {
  Span threshold = Span::Percent(80);  // renew once this much of the lifetime has elapsed (%)
                                       // or this long before notAfter (absolute)
  Span retry = Span::Percent(4);       // between failed attempts
  bool rotate_key = true;
  bool auto_renew = true;
  std::vector<Span> expiry_warnings = DefaultWarnings();  // absolute, before notAfter
  // The credential whose cert issues this one (local_ca), empty when none: when both are due, the
  // issuer is renewed first (a first start issues the Edge CA before the certs it signs).
  std::string issued_by;

  static std::vector<Span> DefaultWarnings() {
    return {Span::Seconds(30 * 86400, "30d"), Span::Seconds(7 * 86400, "7d"),
            Span::Seconds(86400, "1d")};
  }
};

}  // namespace edgesec::certd::renewal

#include "certd/renewal/policy.hpp"

#include <cctype>

namespace edgesec::certd::renewal {

Expected<Span> ParseSpan(std::string_view text, bool allow_percent, bool allow_seconds) {
  std::string what = std::string(allow_percent ? "\"N%\" (1-99) or " : "") +
                     "\"Nd\", \"Nh\", \"Nm\"" + (allow_seconds ? " or \"Ns\"" : "");
  auto bad = [&](const std::string& why) -> Error {
    return InvalidParameter("'" + std::string(text) + "' " + why + "; use " + what);
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (!text.empty() && text[0] == '-') return bad("is negative");
  if (digits == 0) return bad("is not a number with a unit");
  if (digits > 9) return bad("is too large");
  int64_t n = std::stoll(std::string(text.substr(0, digits)));
  std::string_view unit = text.substr(digits);
  if (n == 0) return bad("is zero");
  if (unit == "%") {
    if (!allow_percent) return bad("is a percentage, which is not accepted here");
    if (n > 99) return bad("is more than 99%");
    return Span::Percent(n);
  }
  int64_t mult = unit == "d" || unit == "day" || unit == "days" ? 86400
                 : unit == "h"                                  ? 3600
                 : unit == "m" || unit == "min"                 ? 60
                 : unit == "s" && allow_seconds                 ? 1
                                                                : 0;
  if (mult == 0) return bad(unit.empty() ? "has no unit" : "has an unknown unit");
  return Span::Seconds(n * mult, std::string(text));
}

}  // namespace edgesec::certd::renewal

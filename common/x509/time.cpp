#include "common/x509/time.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "common/ossl.hpp"

namespace edgesec::x509 {
namespace {

Error NotRfc3339(const std::string& text) {
  return InvalidParameter("'" + text + "' is not an RFC 3339 time (2026-12-31T23:59:59Z)");
}

// The UTC offset at text[i] ('Z', 'z' or ±hh:mm) in seconds; i moves past it.
Expected<int64_t> ParseOffset(const std::string& text, size_t& i) {
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
    return int64_t{0};
  }
  if (i >= text.size() || (text[i] != '+' && text[i] != '-'))
    return InvalidParameter("'" + text + "' has no time zone (Z or ±hh:mm)");
  int oh = 0, om = 0, m = 0;
  if (std::sscanf(text.c_str() + i + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5)
    return InvalidParameter("'" + text + "' has a malformed UTC offset");
  int64_t offset = (text[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  i += 6;
  return offset;
}

}  // namespace

Expected<int64_t> ToEpoch(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter("garbage: a certificate date does not parse");
  }
  return static_cast<int64_t>(::timegm(&tm));
}

std::string Rfc3339(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Expected<int64_t> ParseRfc3339(std::string_view view) {
  std::string text(view);
  int y, mo, d, h, mi, s, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) !=
          6 ||
      n == 0)
    return NotRfc3339(text);
  size_t i = static_cast<size_t>(n);
  if (i < text.size() && text[i] == '.')
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));) ++i;
  EDGESEC_ASSIGN_OR_RETURN(int64_t offset, ParseOffset(text, i));
  if (i != text.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return NotRfc3339(text);
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(::timegm(&tm)) - offset;
}

}  // namespace edgesec::x509

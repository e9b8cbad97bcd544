// common/x509/time: the RFC 3339 times of the workload API's `expiration` and of certd's API.
#include <catch2/catch.hpp>

#include "common/x509/time.hpp"

using namespace edgesec;
using namespace edgesec::x509;

TEST_CASE("RFC 3339 times with Z, offsets and fractions") {
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z").value() == 0);
  CHECK(ParseRfc3339("2026-12-31T23:59:59Z").value() == 1798761599);
  CHECK(ParseRfc3339("2026-12-31T23:59:59.123456Z").value() == 1798761599);
  CHECK(ParseRfc3339("2027-01-01T01:59:59+02:00").value() == 1798761599);
  CHECK(ParseRfc3339("2026-12-31T22:59:59-01:00").value() == 1798761599);
  CHECK(ParseRfc3339("2050-01-01T00:00:00Z").value() == 2524608000);  // past 2038 and 2049
  for (const char* bad :
       {"", "tomorrow", "2026-12-31", "2026-12-31T23:59:59", "2026-13-01T00:00:00Z",
        "2026-12-31T23:59:59Zjunk", "2026-12-31T25:00:00Z", "2026-12-31T23:59:59+2"}) {
    auto t = ParseRfc3339(bad);
    CHECK_FALSE(t);
    if (!t) CHECK(t.error().kind == ErrorKind::kInvalidParameter);
  }
}

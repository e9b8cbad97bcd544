// certd/renewal/policy: the grammar of thresholds, retries and warning deltas (DESIGN.md).
#include "certd/renewal/policy.hpp"

#include <catch2/catch.hpp>

using namespace edgesec::certd::renewal;

TEST_CASE("percentages from 1 to 99 and absolute days, hours and minutes parse") {
  CHECK(ParseSpan("80%")->kind == Span::Kind::kPercent);
  CHECK(ParseSpan("1%")->value == 1);
  CHECK(ParseSpan("99%")->value == 99);
  CHECK(ParseSpan("30d")->value == 30 * 86400);
  CHECK(ParseSpan("2day")->value == 2 * 86400);
  CHECK(ParseSpan("12h")->value == 12 * 3600);
  CHECK(ParseSpan("5m")->value == 300);
  CHECK(ParseSpan("5min")->value == 300);
  CHECK(ParseSpan("30d")->text == "30d");
  CHECK(ParseSpan("90s", false, true)->value == 90);
}

TEST_CASE("zero, negative, malformed and out-of-range spans are errors saying what is accepted") {
  for (const char* bad : {"0%", "0d", "-1d", "-5%", "100%", "150%", "d", "", "5", "5 d", "5w",
                          "1.5d", "%", "1234567890d", "5s"}) {
    INFO(bad);
    auto s = ParseSpan(bad);
    REQUIRE_FALSE(s);
    CHECK_THAT(s.error().message, Catch::Contains("use \"N%\""));
  }
  CHECK_FALSE(ParseSpan("10%", false));
  CHECK_THAT(ParseSpan("10%", false).error().message, Catch::Contains("percentage"));
}

TEST_CASE("Of() applies a percentage to a lifetime and leaves absolute spans alone") {
  CHECK(ParseSpan("80%")->Of(100 * 86400) == 80 * 86400);
  CHECK(ParseSpan("4%")->Of(100 * 86400) == 4 * 86400);
  CHECK(ParseSpan("3d")->Of(100 * 86400) == 3 * 86400);
}

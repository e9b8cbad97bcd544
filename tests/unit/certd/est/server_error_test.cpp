// The JSON service errors of Lamassu-like EST servers (certd/est/server_error.hpp): the "err" text is
// found, cleaned and cut; anything else is not taken for one.
#include <catch2/catch.hpp>

#include "certd/est/server_error.hpp"

using edgesec::ErrorKind;
using edgesec::MakeError;
namespace est = edgesec::certd::est;

TEST_CASE("a JSON body with a string err gives its text") {
  CHECK(est::JsonErrText(R"({"err":"invalid certificate"})") == "invalid certificate");
  CHECK(est::JsonErrText(" \r\n{\"err\": \"invalid reenroll window\", \"code\": 7}\n") ==
        "invalid reenroll window");
  CHECK(est::JsonErrText("{\"err\":\"line\\nbreak\\u0000\"}") == "line break ");
  std::string longer(300, 'x');
  CHECK(est::JsonErrText("{\"err\":\"" + longer + "\"}") == std::string(200, 'x') + "...");
}

TEST_CASE("bodies that are not a JSON object with a string err give nothing") {
  for (const char* body : {"", "internal CA failure", "{\"error\":\"x\"}", "{\"err\":42}",
                           "{\"err\":\"unterminated", "[\"err\"]", "null"}) {
    INFO(body);
    CHECK_FALSE(est::JsonErrText(body));
  }
}

TEST_CASE("only the closed re-enrollment window reads as one") {
  CHECK(est::IsReenrollWindowClosed(MakeError(
      ErrorKind::kUnavailable, "EST server answered HTTP 500 to 'u': invalid reenroll window")));
  CHECK_FALSE(est::IsReenrollWindowClosed(
      MakeError(ErrorKind::kInvalidParameter, "EST server answered HTTP 500 to 'u': invalid certificate")));
}

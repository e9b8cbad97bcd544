// common/state_format and JsonFields::OptionalInt64: a wrongly typed state-file field is an error
// naming the file and the field, never an exception.
#include "common/state_format.hpp"

#include <catch2/catch.hpp>
#include <string>

using edgesec::CheckStateFileFormat;
using edgesec::ErrorKind;
using edgesec::Json;
using edgesec::JsonFields;
using edgesec::Status;

TEST_CASE("OptionalInt64 reads integers and names a mistyped or out-of-range field") {
  Json j = Json::parse(R"({"n":-7,"s":"1","f":1.5,"b":true,"big":18446744073709551615,"z":null})");
  JsonFields f(j, "credentials.a.");
  CHECK(*f.OptionalInt64("n").value() == -7);
  CHECK_FALSE(f.OptionalInt64("absent").value().has_value());
  CHECK_FALSE(f.OptionalInt64("z").value().has_value());
  for (const char* name : {"s", "f", "b"}) {
    auto v = f.OptionalInt64(name);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::kInvalidParameter);
    CHECK(v.error().message ==
          "parameter 'credentials.a." + std::string(name) + "' must be an integer");
  }
  auto big = f.OptionalInt64("big");
  REQUIRE_FALSE(big);
  CHECK(big.error().message == "parameter 'credentials.a.big' is out of range");
}

TEST_CASE("a state file whose format is not an integer is refused with the file and the field named") {
  for (const char* text : {R"({"format":"1"})", R"({"format":[1]})", R"({"format":1.5})"}) {
    INFO(text);
    Status st = CheckStateFileFormat(Json::parse(text), 1, "/s/edge-ca.json");
    REQUIRE_FALSE(st);
    CHECK(st.error().kind == ErrorKind::kConfig);
    CHECK(st.error().message.find("'/s/edge-ca.json' is damaged: parameter 'format' must be an "
                                  "integer") == 0);
  }
  CHECK(CheckStateFileFormat(Json::parse(R"({"format":1})"), 1, "/s/x.json"));
  CHECK(CheckStateFileFormat(Json::parse(R"({})"), 1, "/s/x.json"));
  Status newer = CheckStateFileFormat(Json::parse(R"({"format":2})"), 1, "/s/x.json");
  REQUIRE_FALSE(newer);
  CHECK(newer.error().message.find("newer edgesec (format 2)") != std::string::npos);
}

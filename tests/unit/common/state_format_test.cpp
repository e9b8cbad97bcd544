// common/state_format and JsonFields::OptionalInt64: a wrongly typed state-file field is an error
// naming the file and the field, never an exception; KeepAside and ReadStateFile (damaged and
// unreadable state files).
#include "common/state_format.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/fs.hpp"
#include "tests/support/temp_root.hpp"

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

TEST_CASE(
    "a state file whose format is not an integer is refused with the file and the field named") {
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

TEST_CASE("KeepAside renames a damaged file to <file>.bad-<UTC>, never over an earlier one") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/state.json";
  std::vector<std::string> said;
  for (int i = 0; i < 2; ++i) {
    REQUIRE(edgesec::fs::AtomicWriteFile(path, "damaged " + std::to_string(i), 0600));
    said.push_back(edgesec::KeepAside(path, 1764806400));  // 2025-12-04T00:00:00Z
    CHECK_FALSE(edgesec::fs::Exists(path));
  }
  CHECK(said[0] == "kept aside as '" + path + ".bad-20251204T000000Z'");
  CHECK(said[1] == "kept aside as '" + path + ".bad-20251204T000000Z.1'");
  CHECK(*edgesec::fs::ReadFile(path + ".bad-20251204T000000Z") == "damaged 0");
  CHECK(*edgesec::fs::ReadFile(path + ".bad-20251204T000000Z.1") == "damaged 1");
}

TEST_CASE(
    "ReadStateFile: absent, its text, a wrong mode, and an unreadable file with what to run") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/modules.json";
  auto absent = edgesec::ReadStateFile(path, 0600, "identityd", "x");
  REQUIRE(absent);
  CHECK_FALSE(absent->text.has_value());
  REQUIRE(edgesec::fs::AtomicWriteFile(path, "{}", 0600));
  auto good = edgesec::ReadStateFile(path, 0600, "identityd", "x");
  REQUIRE(good);
  CHECK(good->text == std::optional<std::string>("{}"));
  CHECK(good->wrong.empty());
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto loose = edgesec::ReadStateFile(path, 0600, "identityd", "x");
  REQUIRE(loose);
  CHECK(loose->wrong == "mode 0644");
  REQUIRE(::unlink(path.c_str()) == 0);
  REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  auto dir_in_place = edgesec::ReadStateFile(path, 0600, "identityd", "its modules are lost");
  REQUIRE_FALSE(dir_in_place);
  CHECK(dir_in_place.error().kind == ErrorKind::kIo);
  CHECK_THAT(dir_in_place.error().message,
             Catch::Contains("cannot read state file '" + path + "': it is not a regular file") &&
                 Catch::Contains("chmod 0600 '" + path + "'") &&
                 Catch::Contains("or remove it (its modules are lost)"));
}

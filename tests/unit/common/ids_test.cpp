// common/ids: the id charset and length (DESIGN.md, "Ids") and file names derived from ids.
#include "common/ids.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

using edgesec::ErrorKind;
using edgesec::FileNameForId;
using edgesec::IsValidId;
using edgesec::ValidateId;

namespace {

const std::string kAllowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-:@$";

}  // namespace

TEST_CASE("ids accept every allowed character, including : @ and $") {
  CHECK(IsValidId(kAllowed));
  CHECK(IsValidId("$edgeHub"));
  CHECK(IsValidId("device-id:v2@site"));
  CHECK(IsValidId("a"));
  CHECK(IsValidId("."));
  CHECK(IsValidId(".."));  // valid as an id; the file name must still be safe (below)
}

TEST_CASE("ids are 1 to 128 characters long") {
  CHECK_FALSE(IsValidId(""));
  CHECK(IsValidId(std::string(1, 'k')));
  CHECK(IsValidId(std::string(128, 'k')));
  CHECK_FALSE(IsValidId(std::string(129, 'k')));
}

TEST_CASE("ids with any other character are refused") {
  for (int c = 0; c < 256; ++c) {
    std::string id = "key" + std::string(1, static_cast<char>(c));
    bool allowed = kAllowed.find(static_cast<char>(c)) != std::string::npos && c != 0;
    INFO("character code " << c);
    CHECK(IsValidId(id) == allowed);
  }
  CHECK_FALSE(IsValidId("a/b"));
  CHECK_FALSE(IsValidId("a b"));
  CHECK_FALSE(IsValidId("caf\xc3\xa9"));
}

TEST_CASE("ValidateId names what was invalid and quotes the id, without control characters") {
  CHECK(ValidateId("ok-id", "key id"));
  auto st = ValidateId("bad/id", "key id");
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(st.error().message, Catch::Contains("key id") && Catch::Contains("'bad/id'"));
  auto ctl = ValidateId("bad\nid\x1b", "cert id");
  REQUIRE_FALSE(ctl);
  CHECK(ctl.error().message.find('\n') == std::string::npos);
  CHECK(ctl.error().message.find('\x1b') == std::string::npos);
  CHECK_THAT(ctl.error().message, Catch::Contains("cert id"));
}

TEST_CASE("file names for ids never contain a slash and never start with a dot") {
  for (const std::string& id : std::vector<std::string>{
           ".", "..", ".hidden", "a/../../etc/passwd", "../x", "/abs", "$edgeHub", "a:b@c",
           std::string(128, '.'), std::string(128, '/')}) {
    std::string name = FileNameForId(id);
    INFO("id '" << id << "' -> '" << name << "'");
    CHECK(name.find('/') == std::string::npos);
    CHECK(name.front() != '.');
    CHECK(name != ".");
    CHECK(name != "..");
    CHECK(name.find('\0') == std::string::npos);
  }
}

TEST_CASE("file names keep the safe part of the id readable and add a hash") {
  std::string name = FileNameForId("device-id");
  CHECK(name.rfind("device-id-", 0) == 0);
  CHECK(name.size() == std::string("device-id-").size() + 32);
  CHECK(FileNameForId("device-id") == name);  // deterministic
}

TEST_CASE("file names differ for ids that differ only in a replaced character") {
  // ':', '@' and '$' are all sanitized to '_': only the hash tells these apart.
  std::set<std::string> names;
  for (const char* id : {"a:b", "a@b", "a$b", "a_b"}) names.insert(FileNameForId(id));
  CHECK(names.size() == 4);
  CHECK(FileNameForId(".x") != FileNameForId("_x"));
}

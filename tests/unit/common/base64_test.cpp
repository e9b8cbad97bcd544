// common/base64: strict standard base64 (API byte strings) and unpadded base64url (key handles).
#include "common/base64.hpp"

#include <catch2/catch.hpp>
#include <string>

using edgesec::Base64Decode;
using edgesec::Base64Encode;
using edgesec::Base64UrlDecode;
using edgesec::Base64UrlEncode;
using edgesec::Bytes;

namespace {

Bytes B(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

}  // namespace

TEST_CASE("base64 encodes the RFC 4648 test vectors with padding") {
  CHECK(Base64Encode(B("")) == "");
  CHECK(Base64Encode(B("f")) == "Zg==");
  CHECK(Base64Encode(B("fo")) == "Zm8=");
  CHECK(Base64Encode(B("foo")) == "Zm9v");
  CHECK(Base64Encode(B("foob")) == "Zm9vYg==");
  CHECK(Base64Encode(B("fooba")) == "Zm9vYmE=");
  CHECK(Base64Encode(B("foobar")) == "Zm9vYmFy");
}

TEST_CASE("base64 decodes the RFC 4648 test vectors") {
  for (const char* plain : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = Base64Decode(Base64Encode(B(plain)));
    REQUIRE(decoded);
    CHECK(*decoded == B(plain));
  }
}

TEST_CASE("base64 round trips every byte value and every length up to 64") {
  Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<unsigned char>(i));
  auto decoded = Base64Decode(Base64Encode(all));
  REQUIRE(decoded);
  CHECK(*decoded == all);
  for (size_t len = 0; len <= 64; ++len) {
    Bytes part(all.rbegin(), all.rbegin() + static_cast<long>(len));
    auto back = Base64Decode(Base64Encode(part));
    REQUIRE(back);
    CHECK(*back == part);
  }
}

TEST_CASE("base64 uses the standard alphabet with + and /") {
  Bytes b = {0xfb, 0xff, 0xbf};
  CHECK(Base64Encode(b) == "+/+/");
  auto decoded = Base64Decode("+/+/");
  REQUIRE(decoded);
  CHECK(*decoded == b);
}

TEST_CASE("base64 decoding rejects missing or wrong padding") {
  CHECK_FALSE(Base64Decode("Zg"));   // padding required
  CHECK_FALSE(Base64Decode("Zg="));  // not a multiple of 4
  CHECK_FALSE(Base64Decode("Zm8"));
  CHECK_FALSE(Base64Decode("Zg==="));
  CHECK_FALSE(Base64Decode("Z==="));  // three padding characters
  CHECK_FALSE(Base64Decode("===="));
  CHECK_FALSE(Base64Decode("Zm9v===="));
  CHECK_FALSE(Base64Decode("Zg==Zm9v"));  // padding in the middle
  CHECK_FALSE(Base64Decode("Z=g="));
}

TEST_CASE("base64 decoding rejects whitespace and line breaks") {
  CHECK_FALSE(Base64Decode(" Zm9v"));
  CHECK_FALSE(Base64Decode("Zm9v "));
  CHECK_FALSE(Base64Decode("Zm 9v"));
  CHECK_FALSE(Base64Decode("Zm9v\nYmFy"));
  CHECK_FALSE(Base64Decode("Zm9vYmFy\r\n"));
  CHECK_FALSE(Base64Decode("Zm9v\t"));
}

TEST_CASE("base64 decoding rejects characters outside the standard alphabet") {
  CHECK_FALSE(Base64Decode("-_-_"));  // the URL alphabet is not standard base64
  CHECK_FALSE(Base64Decode("Zm9*"));
  CHECK_FALSE(Base64Decode(std::string("Zm\0v", 4)));
  CHECK_FALSE(Base64Decode("Zm9\xc3"));
}

TEST_CASE("base64 decoding rejects non-canonical trailing bits") {
  // "Zg==" is 'f'; "Zh==" carries the same byte with non-zero unused bits.
  REQUIRE(Base64Decode("Zg=="));
  CHECK_FALSE(Base64Decode("Zh=="));
  CHECK_FALSE(Base64Decode("Zv=="));
  // "Zm8=" is "fo"; "Zm9=" sets an unused bit.
  REQUIRE(Base64Decode("Zm8="));
  CHECK_FALSE(Base64Decode("Zm9="));
}

TEST_CASE("base64url encodes without padding using - and _") {
  Bytes b = {0xfb, 0xff, 0xbf, 0x66};
  CHECK(Base64UrlEncode(b.data(), b.size()) == "-_-_Zg");
  auto decoded = Base64UrlDecode("-_-_Zg");
  REQUIRE(decoded);
  CHECK(*decoded == b);
}

TEST_CASE("base64url round trips every length up to 40") {
  Bytes data;
  for (size_t len = 0; len <= 40; ++len) {
    auto back = Base64UrlDecode(Base64UrlEncode(data.data(), data.size()));
    REQUIRE(back);
    CHECK(*back == data);
    data.push_back(static_cast<unsigned char>(len * 37 + 11));
  }
}

TEST_CASE(
    "base64url decoding rejects padding, the standard alphabet, impossible lengths and loose "
    "bits") {
  CHECK_FALSE(Base64UrlDecode("Zg=="));
  CHECK_FALSE(Base64UrlDecode("+/+/"));
  CHECK_FALSE(Base64UrlDecode("Zm9vY"));  // 4n+1 characters cannot be produced by an encoder
  CHECK_FALSE(Base64UrlDecode("Zh"));     // non-zero unused bits
  CHECK_FALSE(Base64UrlDecode("Zm9 v"));
}

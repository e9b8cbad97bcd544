// certd/est DecodeCsrAttrs: a /csrattrs body with trailing NUL bytes or whitespace (found against a
// third-party EST server, issue 11 trap 7b) keeps the server's key and digest requests; anything
// else that is not base64 is still refused with a clear error.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <string>

#include "certd/est/decode.hpp"

using edgesec::ErrorKind;
using edgesec::certd::est::DecodeCsrAttrs;

namespace {

// SEQUENCE { ecdsa-with-SHA384, SEQUENCE { id-ecPublicKey, SET { secp384r1 } } } (RFC 7030 4.5.2),
// encoded by hand (python3's base64), not by edgesec.
const std::string kBase64 = "MB4GCCqGSM49BAMDMBIGByqGSM49AgExBwYFK4EEACI=";

void RequireP384Sha384(const std::string& body) {
  auto attrs = DecodeCsrAttrs(body);
  INFO((attrs ? "" : attrs.error().Describe()));
  REQUIRE(attrs);
  CHECK(attrs->key_type == EVP_PKEY_EC);
  CHECK(attrs->curve == "secp384r1");
  CHECK(attrs->digest == "SHA384");
}

}  // namespace

TEST_CASE("a csrattrs body as sent decodes to its key and digest requests") {
  RequireP384Sha384(kBase64);
}

TEST_CASE("a csrattrs body ending in NUL bytes keeps the key and digest requests") {
  RequireP384Sha384(kBase64 + std::string("\0\0", 2));
  RequireP384Sha384(kBase64 + std::string("\r\n\0", 3));
  RequireP384Sha384(kBase64 + std::string(1, '\0') + "\r\n");
}

TEST_CASE("a csrattrs body ending in whitespace keeps the key and digest requests") {
  RequireP384Sha384(kBase64 + "\r\n \t");
  RequireP384Sha384(kBase64.substr(0, 20) + "\r\n" + kBase64.substr(20) + "\n");
}

TEST_CASE("a csrattrs body of NUL bytes only means no attributes") {
  auto attrs = DecodeCsrAttrs(std::string("\0\0\0", 3));
  REQUIRE(attrs);
  CHECK(!attrs->key_type);
  CHECK(attrs->digest.empty());
}

TEST_CASE("a NUL inside a csrattrs body, or other junk at its end, is still refused") {
  for (const std::string& body :
       {kBase64.substr(0, 20) + std::string(1, '\0') + kBase64.substr(20), kBase64 + "!",
        kBase64 + std::string(1, '\0') + "AAAA"}) {
    auto attrs = DecodeCsrAttrs(body);
    REQUIRE(!attrs);
    CHECK(attrs.error().kind == ErrorKind::kUnprocessable);
    CHECK(attrs.error().message.find("not base64") != std::string::npos);
  }
}

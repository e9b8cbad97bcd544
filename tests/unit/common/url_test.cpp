// common/url: the password of a URL's userinfo is never printed (RedactUrl) and is taken out for
// HTTP Basic (SplitUserinfo), percent-decoded.
#include "common/url.hpp"

#include <catch2/catch.hpp>

using edgesec::RedactUrl;
using edgesec::RedactUrlsIn;
using edgesec::SplitUserinfo;

TEST_CASE("RedactUrl replaces the password of the userinfo, and only that") {
  CHECK(RedactUrl("https://user:s3cr3t@est.example:8443/x") == "https://user:***@est.example:8443/x");
  CHECK(RedactUrl("https://user:s3cr3t@est.example") == "https://user:***@est.example");
  CHECK(RedactUrl("https://est.example:8443/.well-known/est") ==
        "https://est.example:8443/.well-known/est");
  CHECK(RedactUrl("https://user@est.example/") == "https://user@est.example/");  // no password
  // '@' in the path, query or fragment is not userinfo.
  CHECK(RedactUrl("https://est.example/a:b@c") == "https://est.example/a:b@c");
  CHECK(RedactUrl("https://est.example?x=a:b@c") == "https://est.example?x=a:b@c");
  CHECK(RedactUrl("https://u:p@est.example/a:b@c") == "https://u:***@est.example/a:b@c");
  // A password holding '@' or ':' (written raw): everything up to the last '@' of the authority.
  CHECK(RedactUrl("https://u:p@ss:w@est.example/") == "https://u:***@est.example/");
  CHECK(RedactUrl("https://us%40er:p%3Ass@est.example/") == "https://us%40er:***@est.example/");
  CHECK(RedactUrl("ftp://u:secret@h") == "ftp://u:***@h");
  CHECK(RedactUrl("u:secret@h/x") == "u:***@h/x");  // no scheme
  CHECK(RedactUrl("") == "");
}

TEST_CASE("SplitUserinfo takes the percent-decoded credentials out of the URL") {
  auto plain = SplitUserinfo("https://est.example:8443/p@th");
  CHECK_FALSE(plain.present);
  CHECK(plain.url == "https://est.example:8443/p@th");
  CHECK_FALSE(plain.password);

  auto both = SplitUserinfo("https://us%40er:p%3As%25s@est.example:8443/.well-known/est");
  CHECK(both.present);
  CHECK(both.url == "https://est.example:8443/.well-known/est");
  CHECK(both.username == "us@er");
  REQUIRE(both.password);
  CHECK(*both.password == "p:s%s");

  auto user = SplitUserinfo("https://user@est.example");
  CHECK(user.present);
  CHECK(user.url == "https://est.example");
  CHECK(user.username == "user");
  CHECK_FALSE(user.password);

  auto empty = SplitUserinfo("https://:@est.example");
  CHECK(empty.username.empty());
  REQUIRE(empty.password);
  CHECK(empty.password->empty());
  CHECK(SplitUserinfo("https://u:p%zz@h").password == std::optional<std::string>("p%zz"));
}

TEST_CASE("RedactUrlsIn redacts every URL of a text") {
  CHECK(RedactUrlsIn("default = 'https://u:s3cr3t@h:1/x' and \"http://v:pw@h/\" or ftp://h/a:b@c") ==
        "default = 'https://u:***@h:1/x' and \"http://v:***@h/\" or ftp://h/a:b@c");
  CHECK(RedactUrlsIn("no url: a:b@c") == "no url: a:b@c");
  CHECK(RedactUrlsIn("at end https://u:p@h") == "at end https://u:***@h");
}

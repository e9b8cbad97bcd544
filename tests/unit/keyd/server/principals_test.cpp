// keyd/server/principals: who may use which key (DESIGN.md, "Authorization").
#include "keyd/server/principals.hpp"

#include <catch2/catch.hpp>

using edgesec::keyd::Authorizer;
using edgesec::keyd::GlobMatches;
using edgesec::keyd::Principal;

namespace {

constexpr uid_t kSelf = 990;
constexpr uid_t kModule = 1001;
constexpr uid_t kOther = 1002;

Authorizer WithModulePrincipal() {
  return Authorizer(kSelf, {Principal{kModule, {"module-*", "shared", "dev?-key", "[ab]x"}}});
}

}  // namespace

TEST_CASE("root and keyd's own uid may use every key, with no principals configured") {
  Authorizer a(kSelf, {});
  for (const char* id : {"device-id", "anything", "$edgeHub"}) {
    CHECK(a.MayUseKey(0, id));
    CHECK(a.MayUseKey(kSelf, id));
  }
  CHECK(a.IsPrivileged(0));
  CHECK(a.IsPrivileged(kSelf));
  CHECK_FALSE(a.IsPrivileged(kModule));
}

TEST_CASE("a principal may use the keys its globs match") {
  Authorizer a = WithModulePrincipal();
  CHECK(a.MayUseKey(kModule, "module-1"));
  CHECK(a.MayUseKey(kModule, "module-"));
  CHECK(a.MayUseKey(kModule, "shared"));
  CHECK(a.MayUseKey(kModule, "dev1-key"));
  CHECK(a.MayUseKey(kModule, "ax"));
  CHECK(a.MayUseKey(kModule, "bx"));
}

TEST_CASE("a principal may not use keys its globs do not match") {
  Authorizer a = WithModulePrincipal();
  CHECK_FALSE(a.MayUseKey(kModule, "device-id"));
  CHECK_FALSE(a.MayUseKey(kModule, "shared-2"));
  CHECK_FALSE(a.MayUseKey(kModule, "xmodule-1"));
  CHECK_FALSE(a.MayUseKey(kModule, "dev12-key"));
  CHECK_FALSE(a.MayUseKey(kModule, "cx"));
}

TEST_CASE("a uid that is not a principal is denied every key") {
  Authorizer a = WithModulePrincipal();
  CHECK_FALSE(a.MayUseKey(kOther, "module-1"));
  CHECK_FALSE(a.MayUseKey(kOther, "shared"));
  CHECK_FALSE(a.MayUseKey(static_cast<uid_t>(-1), "shared"));  // unknown peer credentials
  CHECK_FALSE(a.IsPrivileged(kOther));
}

TEST_CASE("several principal entries for the same uid add up") {
  Authorizer a(
      kSelf, {Principal{kModule, {"a-*"}}, Principal{kOther, {"b-*"}}, Principal{kModule, {"c"}}});
  CHECK(a.MayUseKey(kModule, "a-1"));
  CHECK(a.MayUseKey(kModule, "c"));
  CHECK_FALSE(a.MayUseKey(kModule, "b-1"));
  CHECK(a.MayUseKey(kOther, "b-1"));
  CHECK_FALSE(a.MayUseKey(kOther, "a-1"));
}

TEST_CASE("globs match whole ids, and * matches ids with : @ $") {
  CHECK(GlobMatches("*", "$edgeHub"));
  CHECK(GlobMatches("id:*", "id:v2@x"));
  CHECK_FALSE(GlobMatches("id", "id2"));
  CHECK_FALSE(GlobMatches("", "x"));
}

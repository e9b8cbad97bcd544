// The edgesec OpenSSL provider without keyd: built in to this process (as LoadRemoteKey does), it
// parses what OpenSSL hands it — store URIs and int-or-name parameters — and names what it refuses;
// with no keyd behind the socket, a key URI fails with the socket named, and nothing crashes.
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/store.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <string>

#include "keyd/client/provider/provider.hpp"

using namespace edgesec;
using namespace edgesec::keyd::provider;

namespace {

void LoadBuiltIn() {
  static bool loaded = [] {
    ::setenv("EDGESEC_KEYD_SOCKET", "/nonexistent/edgesec-test/keyd.sock", 1);
    ::setenv("EDGESEC_CERTD_SOCKET", "/nonexistent/edgesec-test/certd.sock", 1);
    return OSSL_PROVIDER_add_builtin(nullptr, kName, &Init) == 1 &&
           OSSL_PROVIDER_load(nullptr, kName) != nullptr;
  }();
  REQUIRE(loaded);
}

// Opens `uri` and loads what it names; the OpenSSL error queue, drained, as text.
std::string OpenAndLoad(const std::string& uri, int expect = 0) {
  ERR_clear_error();
  OSSL_STORE_CTX* store = OSSL_STORE_open(uri.c_str(), nullptr, nullptr, nullptr, nullptr);
  if (store != nullptr) {
    if (expect != 0) OSSL_STORE_expect(store, expect);
    while (!OSSL_STORE_eof(store)) {
      OSSL_STORE_INFO* info = OSSL_STORE_load(store);
      if (info == nullptr) break;
      OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(store);
  }
  std::string text;  // each error with its data, where the provider's words are
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text += std::string(buf) + ((flags & ERR_TXT_STRING) != 0 && data != nullptr ? std::string(": ") + data : "") + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("store URIs: unknown queries and invalid ids are refused, named") {
  LoadBuiltIn();
  CHECK_THAT(OpenAndLoad("edgesec:device-id?object=banana"),
             Catch::Contains("unknown query 'object=banana' in 'edgesec:device-id?object=banana'"));
  CHECK_THAT(OpenAndLoad("edgesec:bad id"), Catch::Contains("'edgesec:bad id'"));
  CHECK_THAT(OpenAndLoad("edgesec:"), Catch::Contains("'edgesec:'"));
  CHECK_THAT(OpenAndLoad(std::string("edgesec:") + std::string(300, 'k')),
             Catch::Contains("edgesec: 'edgesec:kkk"));
}

TEST_CASE("store URIs: a key or a certificate with nobody listening names the socket") {
  LoadBuiltIn();
  CHECK_THAT(OpenAndLoad("edgesec:device-id"),
             Catch::Contains("edgesec: key 'device-id' (keyd at '/nonexistent/edgesec-test/keyd.sock')"));
  CHECK_THAT(OpenAndLoad("edgesec:device-id?object=cert"),
             Catch::Contains("edgesec: certificate 'device-id' (certd at '/nonexistent/edgesec-test/certd.sock')"));
  // Where a certificate is expected, the plain URI means the certificate.
  CHECK_THAT(OpenAndLoad("edgesec:device-id", OSSL_STORE_INFO_CERT),
             Catch::Contains("edgesec: certificate 'device-id'"));
}

TEST_CASE("int-or-name parameters: names, integers, numbers as text; anything else refused") {
  std::initializer_list<NamedValue> salts = {{"digest", RSA_PSS_SALTLEN_DIGEST},
                                             {"max", RSA_PSS_SALTLEN_MAX}};
  int out = 7;
  CHECK(GetIntOrName(nullptr, salts, &out));
  CHECK(out == 7);  // absent: unchanged

  char digest[] = "digest";
  OSSL_PARAM by_name = OSSL_PARAM_construct_utf8_string("saltlen", digest, 0);
  CHECK(GetIntOrName(&by_name, salts, &out));
  CHECK(out == RSA_PSS_SALTLEN_DIGEST);

  int twenty = 20;
  OSSL_PARAM as_int = OSSL_PARAM_construct_int("saltlen", &twenty);
  CHECK(GetIntOrName(&as_int, salts, &out));
  CHECK(out == 20);

  char thirty_two[] = "32";
  OSSL_PARAM as_text = OSSL_PARAM_construct_utf8_string("saltlen", thirty_two, 0);
  CHECK(GetIntOrName(&as_text, salts, &out, /*numbers_as_text=*/true));
  CHECK(out == 32);
  out = 7;
  CHECK_FALSE(GetIntOrName(&as_text, salts, &out));  // numbers not allowed as text here
  CHECK(out == 7);

  for (const char* bad : {"banana", "32x", "", "-4", "99999999999"}) {
    std::string text = bad;
    OSSL_PARAM p = OSSL_PARAM_construct_utf8_string("saltlen", text.data(), 0);
    INFO("'" << bad << "'");
    CHECK_FALSE(GetIntOrName(&p, salts, &out, true));
    CHECK(out == 7);
  }
}

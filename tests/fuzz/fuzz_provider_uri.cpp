// Fuzz target: what the edgesec OpenSSL provider parses from its callers (keyd/client/provider/):
// a store URI `edgesec:<input>` opened through OSSL_STORE, and an int-or-name parameter
// (GetIntOrName) given the input as text. The provider is built in, with no keyd or certd behind its
// sockets. Properties: no crash; nothing is ever loaded (there is no keyd to answer); a parameter
// is accepted only as a listed name or, where allowed, a number within range, and a refused one
// leaves the output untouched.
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <stdlib.h>

#include <cstdint>
#include <string>

#include "keyd/client/provider/provider.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec::keyd::provider;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool loaded = [] {
    ::setenv("EDGESEC_KEYD_SOCKET", "/nonexistent/edgesec-fuzz/keyd.sock", 1);
    ::setenv("EDGESEC_CERTD_SOCKET", "/nonexistent/edgesec-fuzz/certd.sock", 1);
    return OSSL_PROVIDER_add_builtin(nullptr, kName, &Init) == 1 &&
           OSSL_PROVIDER_load(nullptr, kName) != nullptr;
  }();
  FUZZ_CHECK(loaded);
  std::string input(reinterpret_cast<const char*>(data), size);

  std::string uri = "edgesec:" + input;
  if (uri.find('\0') == std::string::npos) {
    OSSL_STORE_CTX* store = OSSL_STORE_open(uri.c_str(), nullptr, nullptr, nullptr, nullptr);
    if (store != nullptr) {
      OSSL_STORE_INFO* info = OSSL_STORE_load(store);
      FUZZ_CHECK(info == nullptr);
      OSSL_STORE_close(store);
    }
    ERR_clear_error();
  }

  int out = 12345;
  OSSL_PARAM p = OSSL_PARAM_construct_utf8_string("x", input.data(), input.size());
  bool ok = GetIntOrName(&p, {{"digest", -1}, {"max", -3}}, &out, /*numbers_as_text=*/true);
  if (!ok) FUZZ_CHECK(out == 12345);
  if (ok) FUZZ_CHECK(input == "digest" || input == "max" || (out >= -3 && out <= 65535));
  return 0;
}

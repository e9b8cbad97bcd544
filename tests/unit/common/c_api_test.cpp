// libedgesec's C API without a daemon (the daemons' answers are tests/integration/sdk_*): argument
// checks come before any request and name the argument, outputs stay untouched on failure,
// messages are bounded, the default sockets follow the environment, and every free/close takes
// NULL.
#include <edgesec/edgesec.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// A socket path nothing listens on: a call that reaches the network answers UNAVAILABLE.
const char* kNowhere = "/nonexistent/edgesec-sdk-test.sock";

bool Contains(const edgesec_err& err, const std::string& what) {
  return std::string(err.message).find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("sdk code names and version") {
  CHECK(std::string(edgesec_code_name(EDGESEC_CODE_OK)) == "ok");
  CHECK(std::string(edgesec_code_name(EDGESEC_CODE_INVALID_ARGUMENT)) == "invalid-argument");
  CHECK(std::string(edgesec_code_name(EDGESEC_CODE_UNAUTHORIZED)) == "unauthorized");
  CHECK(std::string(edgesec_code_name(EDGESEC_CODE_NOT_FOUND)) == "not-found");
  CHECK(std::string(edgesec_code_name(EDGESEC_CODE_UNAVAILABLE)) == "unavailable");
  CHECK(std::string(edgesec_code_name(EDGESEC_CODE_UNSUPPORTED)) == "unsupported");
  CHECK(std::string(edgesec_code_name(EDGESEC_CODE_FAILED)) == "failed");
  CHECK(std::string(edgesec_code_name(static_cast<edgesec_code>(99))) == "unknown");
  CHECK(std::string(edgesec_version()) == EDGESEC_VERSION);
}

TEST_CASE("sdk free and close functions take NULL") {
  edgesec_free(nullptr);
  edgesec_key_list_free(nullptr);
  edgesec_cert_list_free(nullptr);
  edgesec_identity_info_free(nullptr);
  edgesec_issued_cert_free(nullptr);
  edgesec_keys_close(nullptr);
  edgesec_certs_close(nullptr);
  edgesec_identity_close(nullptr);
  edgesec_workload_close(nullptr);
  SUCCEED();
}

TEST_CASE("sdk open refuses a NULL out and an empty socket path, with or without an error record") {
  edgesec_err err;
  CHECK(edgesec_keys_open(nullptr, nullptr, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(err.code == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(std::string(err.message) == "out is NULL");
  CHECK(edgesec_keys_open(nullptr, nullptr, nullptr) == EDGESEC_CODE_INVALID_ARGUMENT);
  edgesec_keys* keys = nullptr;
  CHECK(edgesec_keys_open("", &keys, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(keys == nullptr);
  CHECK(Contains(err, "socket_path is empty"));
  edgesec_certs* certs = nullptr;
  CHECK(edgesec_certs_open("", &certs, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  edgesec_workload* workload = nullptr;
  CHECK(edgesec_workload_open("", &workload, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(workload == nullptr);
}

TEST_CASE("sdk arguments are checked before any request and outputs stay untouched") {
  edgesec_err err;
  edgesec_keys* keys = nullptr;
  REQUIRE(edgesec_keys_open(kNowhere, &keys, &err) == EDGESEC_CODE_OK);
  CHECK(err.code == EDGESEC_CODE_OK);
  char sentinel[] = "untouched";
  char* handle = sentinel;
  CHECK(edgesec_keys_get_key_pair(keys, nullptr, &handle, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(std::string(err.message) == "key_id is NULL");
  CHECK(edgesec_keys_get_key_pair(keys, "", &handle, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(std::string(err.message) == "key_id is empty");
  CHECK(edgesec_keys_get_key_pair(nullptr, "k", &handle, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(std::string(err.message) == "keys is NULL");
  CHECK(handle == sentinel);

  uint8_t digest[32] = {};
  uint8_t* sig = nullptr;
  size_t sig_len = 7;
  // An algorithm outside the enum: refused here (a request would answer UNAVAILABLE).
  CHECK(edgesec_keys_sign(keys, "h", static_cast<edgesec_sign_algorithm>(42), digest, sizeof digest,
                          &sig, &sig_len, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(Contains(err, "42 is not an edgesec_sign_algorithm"));
  CHECK(edgesec_keys_sign(keys, "h", EDGESEC_SIGN_ECDSA, nullptr, 32, &sig, &sig_len, &err) ==
        EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(std::string(err.message) == "data is NULL");
  CHECK((sig == nullptr && sig_len == 7));

  EVP_PKEY* pkey = nullptr;
  CHECK(edgesec_keys_load_evp_pkey(keys, "k", nullptr, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(edgesec_keys_load_evp_pkey(keys, "k", &pkey, &err) == EDGESEC_CODE_UNAVAILABLE);
  CHECK(pkey == nullptr);
  edgesec_keys_close(keys);

  edgesec_certs* certs = nullptr;
  REQUIRE(edgesec_certs_open(kNowhere, &certs, &err) == EDGESEC_CODE_OK);
  char* pem = sentinel;
  CHECK(edgesec_certs_issue(certs, "c", nullptr, nullptr, "handle", &pem, &err) ==
        EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(Contains(err, "issuer_key_handle is given without issuer_cert_id"));
  CHECK(edgesec_certs_import(certs, "c", nullptr, nullptr, &err) == EDGESEC_CODE_INVALID_ARGUMENT);
  CHECK(std::string(err.message) == "pem is NULL");
  CHECK(pem == sentinel);
  edgesec_certs_close(certs);
}

TEST_CASE("sdk an unreachable daemon is UNAVAILABLE, naming the socket and the object") {
  edgesec_err err;
  edgesec_keys* keys = nullptr;
  REQUIRE(edgesec_keys_open(kNowhere, &keys, &err) == EDGESEC_CODE_OK);
  char* handle = nullptr;
  CHECK(edgesec_keys_create_key_pair(keys, "device-id", nullptr, &handle, &err) ==
        EDGESEC_CODE_UNAVAILABLE);
  CHECK(err.code == EDGESEC_CODE_UNAVAILABLE);
  CHECK(Contains(err, "key 'device-id'"));
  CHECK(Contains(err, kNowhere));
  CHECK(handle == nullptr);
  // A message longer than the record is cut, NUL-terminated.
  std::string long_id(2000, 'k');
  CHECK(edgesec_keys_get_key_pair(keys, long_id.c_str(), &handle, &err) != EDGESEC_CODE_OK);
  CHECK(std::strlen(err.message) == EDGESEC_MESSAGE_MAX - 1);
  edgesec_keys_close(keys);
}

TEST_CASE("sdk NULL socket paths follow the environment, else /run/edgesec") {
  edgesec_err err;
  setenv("EDGESEC_KEYD_SOCKET", kNowhere, 1);
  edgesec_keys* keys = nullptr;
  REQUIRE(edgesec_keys_open(nullptr, &keys, &err) == EDGESEC_CODE_OK);
  char* handle = nullptr;
  CHECK(edgesec_keys_get_key_pair(keys, "k", &handle, &err) == EDGESEC_CODE_UNAVAILABLE);
  CHECK(Contains(err, kNowhere));
  edgesec_keys_close(keys);

  setenv("EDGESEC_CERTD_SOCKET", "", 1);  // empty: the default
  edgesec_certs* certs = nullptr;
  REQUIRE(edgesec_certs_open(nullptr, &certs, &err) == EDGESEC_CODE_OK);
  char* pem = nullptr;
  if (edgesec_certs_get(certs, "c", &pem, &err) == EDGESEC_CODE_UNAVAILABLE) {
    CHECK(Contains(err, "/run/edgesec/certd.sock"));
  }
  edgesec_free(pem);
  edgesec_certs_close(certs);

  setenv("EDGESEC_WORKLOAD_SOCKET", kNowhere, 1);
  edgesec_workload* workload = nullptr;
  REQUIRE(edgesec_workload_open(nullptr, &workload, &err) == EDGESEC_CODE_OK);
  CHECK(edgesec_workload_trust_bundle(workload, &pem, &err) == EDGESEC_CODE_UNAVAILABLE);
  CHECK(Contains(err, kNowhere));
  edgesec_workload_close(workload);
  unsetenv("EDGESEC_KEYD_SOCKET");
  unsetenv("EDGESEC_CERTD_SOCKET");
  unsetenv("EDGESEC_WORKLOAD_SOCKET");
}

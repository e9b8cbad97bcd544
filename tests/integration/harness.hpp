#pragma once
// Shared by the keyd integration tests: a keyd on its own temp root with a client, running other
// programs (curl, openssl, edgectl, setpriv) and capturing their output, and the OpenSSL checks every
// test uses to verify what keyd returned — independently of keyd's own code.

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/ossl.hpp"
#include "edgesec/key_engine.h"
#include "keyd/client/keyd_client.hpp"
#include "tests/support/temp_root.hpp"

namespace edgesec::testing {

// keyd on a fresh temp root, with a client of the real client library.
struct Keyd {
  KeydUnderTest under_test;
  keyd::KeydClient client{under_test.socket()};
  std::string socket() const { return under_test.socket(); }
  const std::string& dir() const { return under_test.dir.path(); }
};

// Unwraps an Expected, failing the test with the error's message (and detail) otherwise.
template <class T>
T MustImpl(Expected<T> e, const char* expr) {
  if (!e) FAIL(expr << " failed: " << e.error().Describe());
  return std::move(*e);
}
inline void MustImpl(Status s, const char* expr) {
  if (!s) FAIL(expr << " failed: " << s.error().Describe());
}
#define MUST(expr) ::edgesec::testing::MustImpl((expr), #expr)

// The error of an Expected that must have failed.
template <class T>
Error MustFail(Expected<T> e) {
  REQUIRE_FALSE(e.has_value());
  return e.error();
}

// --- other programs ---------------------------------------------------------------------------------
struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out, err;
};
// Runs argv[0] (looked up on PATH) with `input` on stdin; captures stdout and stderr.
RunResult Run(const std::vector<std::string>& argv, const std::string& input = {});

struct CurlReply {
  long status = 0;
  std::string body;
  Json json;  // discarded when the body is not JSON
};
// `curl --unix-socket socket http://keyd.sock<path_and_query>`, with a body (on stdin) when given, sent
// as `content_type` (empty: no Content-Type header at all).
CurlReply CurlRaw(const std::string& socket, const std::string& method, const std::string& path_and_query,
                  const std::optional<std::string>& body, const std::string& content_type = "application/json");
inline CurlReply Curl(const std::string& socket, const std::string& method, const std::string& path_and_query) {
  return CurlRaw(socket, method, path_and_query, std::nullopt);
}
inline CurlReply Curl(const std::string& socket, const std::string& method, const std::string& path_and_query,
                      const Json& body) {
  return CurlRaw(socket, method, path_and_query, DumpJson(body));
}
// "/route?api-version=V"
std::string At(const std::string& route, const std::string& version = "2021-05-01");
// The sorted member names of a JSON object (to check response shapes exactly).
std::vector<std::string> Keys(const Json& object);

// --- bytes and files --------------------------------------------------------------------------------
Bytes ToBytes(std::string_view s);
std::string B64(const Bytes& b);
Bytes Unb64(const std::string& text);  // fails the test on invalid base64
void WriteBinaryFile(const std::string& path, const Bytes& data);
std::string ReadTextFile(const std::string& path);

// --- OpenSSL, in the test process --------------------------------------------------------------------
Bytes Sha256Of(const Bytes& data);
Bytes Sha384Of(const Bytes& data);
Bytes HmacSha256(const Bytes& key, const Bytes& data);
// "ec-p256", "ec-p384", "rsa-2048", …, "ed25519"
EvpPkeyPtr GenerateKey(const std::string& algorithm);
std::string PublicPem(EVP_PKEY* key);
// DER OID of a curve ("prime256v1", "secp384r1", "ED25519").
Bytes CurveOidDer(int nid);

// Verifies a signature over a digest the caller computed (ECDSA; RSA PKCS#1 v1.5 or PSS with SHA-256).
enum class RsaScheme { kPkcs1, kPss };
bool VerifyDigest(EVP_PKEY* pub, const Bytes& digest, const Bytes& signature, RsaScheme rsa = RsaScheme::kPkcs1);
// Ed25519 over the message itself.
bool VerifyEd25519(EVP_PKEY* pub, const Bytes& message, const Bytes& signature);
// RSA public operation over `signature` with `padding` (RSA_PKCS1_PADDING checks block type 1);
// nullopt when the padding does not check out.
std::optional<Bytes> RsaRecover(EVP_PKEY* pub, const Bytes& signature, int padding);
// AES-256-GCM by OpenSSL: ciphertext || 16-byte tag, as keyd's AEAD.
Bytes AesGcmEncrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& plaintext);
std::optional<Bytes> AesGcmDecrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& sealed);

}  // namespace edgesec::testing

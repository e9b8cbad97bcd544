#pragma once
// A TLS peer for tests of keys held elsewhere (the keyd-backed EVP_PKEY of keyd::LoadRemoteKey, whatever
// the engine behind it): a test PKI (CA, server and client certificates), `openssl s_server -www
// -Verify 1 -verify_return_error` on a free 127.0.0.1 port, and a TLS client that authenticates with a
// given private key. ConnectWithClientKey() does it all in one call; the pieces are here for tests that
// need more control. Failures are Catch2 REQUIREs.

#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <string>

#include "common/ossl.hpp"

namespace edgesec::testing {

EvpPkeyPtr LocalEcKey();  // a fresh P-256 key in this process

struct CertSpec {
  std::string cn;
  bool ca = false;
  std::string eku;  // e.g. "clientAuth"; empty: none
  std::string san;  // e.g. "IP:127.0.0.1"; empty: none
};
// A v3 certificate for `subject_key`, issued by `issuer` (nullptr: self-signed) and signed by `signer`
// with `md`; `pss` asks for an RSASSA-PSS signature (salt length = digest length).
X509Ptr MakeCert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* signer, const EVP_MD* md,
                 bool pss = false);

template <class T>
std::string ToPem(int (*write)(BIO*, const T*), const T* object) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(write(bio.get(), object) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}
void WriteFile(const std::string& path, const std::string& text);  // atomically, mode 0600
void WriteCert(const std::string& path, X509* cert);

int FreeLocalPort();

// `openssl s_server -www -Verify 1` on a free 127.0.0.1 port for one connection, with dir/server.pem,
// dir/server.key and dir/ca.pem (TlsPki writes them); its output goes to dir/s_server.log.
class TlsServer {
 public:
  explicit TlsServer(const std::string& dir);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;
  // s_server may log a failure after it has sent its alert: waits up to 5 s for `text`.
  bool LogShows(const std::string& text) const;
  std::string Log() const;
  int port() const { return port_; }

 private:
  void TryStart(const std::string& dir, int port);
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

struct TlsOutcome {
  bool handshake = false;
  int signature_nid = NID_undef;  // of the client's CertificateVerify
  std::string page;               // s_server's -www status page
  std::string errors;
};
// A TLS client of `version` (TLS1_2_VERSION, TLS1_3_VERSION) presenting `cert` with `key`; sigalgs
// nullptr: OpenSSL's defaults.
TlsOutcome ConnectWithClientCert(int port, int version, X509* cert, EVP_PKEY* key, X509* ca,
                                 const char* sigalgs = nullptr);

// A test CA, a server certificate for 127.0.0.1 and a client certificate for `client_key`, written
// where TlsServer expects them.
struct TlsPki {
  EvpPkeyPtr ca_key;
  X509Ptr ca;
  EvpPkeyPtr server_key;
  X509Ptr server;
  X509Ptr client;
  TlsPki(const std::string& dir, EVP_PKEY* client_key, const std::string& client_cn);
};

// The server checked the client certificate: s_server's status page shows it and a clean verification.
void RequireVerifiedClient(const TlsOutcome& out, const TlsServer& server, const std::string& client_cn,
                           const char* protocol, const char* peer_signature_type);

// All of the above in one call: a PKI in `dir` with a client certificate for `client_key` (CN
// "edgesec-client"), s_server, one connection. verified: s_server saw and accepted the client
// certificate (its page says "Verify return code: 0 (ok)").
struct TlsClientAuthResult {
  bool handshake = false;
  bool verified = false;
  int signature_nid = NID_undef;
  std::string page, errors, server_log;
};
TlsClientAuthResult ConnectWithClientKey(const std::string& dir, EVP_PKEY* client_key, int version = TLS1_3_VERSION,
                                         const char* sigalgs = nullptr);

}  // namespace edgesec::testing

#pragma once
// Shared by the certd integration tests: keyd and certd on one temp root (certd's config written
// first), and certificates made at test time with OpenSSL — never checked in.

#include <memory>
#include <string>

#include "certd/client/certd_client.hpp"
#include "tests/integration/harness.hpp"

// CertSpec is filled with designated initializers that name only what a test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace edgesec::testing {

// Appended to the configs of tests that count certs or keys: no quickstart Edge CA issued at start.
inline const std::string kNoQuickstart = "\n[edge_ca]\nquickstart = false\n";

struct CertdStack {
  TempDir dir;
  std::unique_ptr<DaemonProcess> keyd, certd;
  std::unique_ptr<keyd::KeydClient> keyd_client;
  std::unique_ptr<certd::CertdClient> client;
  // Writes DIR/etc/edgesec/certd/config.toml when `config` is not empty, then starts both daemons.
  explicit CertdStack(const std::string& config = {});
  void StartCertd();
  std::string certd_socket() const { return dir.path() + "/run/edgesec/certd.sock"; }
};

struct CertSpec {
  std::string cn = "leaf";
  int64_t not_before = -3600;     // seconds from now
  int64_t not_after = 30 * 86400;
  bool ca = false;
  std::string key_usage;  // e.g. "critical,keyCertSign,cRLSign"; empty: none
  EVP_PKEY* key = nullptr;         // the subject key
  X509* issuer = nullptr;          // nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;  // nullptr: `key`
};
X509Ptr MakeCert(const CertSpec& spec);
std::string Pem(X509* cert);
// A CSR for `key` with CN and a DNS SAN; signed by `signer` (default: `key` — a forged CSR otherwise).
std::string MakeCsr(EVP_PKEY* key, const std::string& cn, EVP_PKEY* signer = nullptr);
// A CA (key + cert) whose key is imported into keyd as `key_id` and cert into certd as `cert_id`.
struct CaInKeyd {
  EvpPkeyPtr key;
  X509Ptr cert;
  std::string handle;
};
CaInKeyd MakeCaInKeyd(CertdStack& s, const std::string& id, int64_t not_after = 3650LL * 86400);
// Writes text to a file.
void WriteText(const std::string& path, const std::string& text);

}  // namespace edgesec::testing

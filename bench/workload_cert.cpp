// workload-cert: module server certificates per second, two ways, in one run:
//   1. in-process: what a module server cert costs with OpenSSL alone — a fresh EC P-256 key, an
//      X.509 v3 cert (CN, DNS SANs, EKU serverAuth, SKID/AKID, random serial) signed by a P-256 CA
//      key held in this process — the baseline;
//   2. through the workload API: POST /modules/edgehub/genid/1/certificate/server on identityd's
//      workload socket (identityd makes the key and the CSR, certd issues with the Edge CA, whose
//      key keyd holds), with 1 and with 2 client threads.
// Prints the rates, the ratios against the baseline (1 thread) and issue 14's goals with PASS/MISS.
//
//   workload-cert [path/to/edgectl]   (default: <build>/edgectl; it starts the three daemons under
//   a temp --root and stops them at the end)
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/edgectl_root.hpp"
#include "common/ossl.hpp"
#include "daemon/client/identityd_client.hpp"

using namespace edgesec;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kWarmUp = std::chrono::milliseconds(300);
constexpr auto kMeasure = std::chrono::seconds(3);

int Fail(const std::string& what) {
  std::fprintf(stderr, "workload-cert: %s\n", what.c_str());
  return 1;
}

// Operations per second of `op` over `threads` threads, after a warm-up; -1 on failure.
double Rate(int threads, const std::function<bool()>& op) {
  Clock::time_point from = Clock::now() + kWarmUp, until = from + kMeasure;
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (Clock::time_point now = Clock::now(); now < until && !failed; now = Clock::now()) {
        if (!op()) failed = true;
        if (now >= from) ++done;
      }
    });
  for (auto& t : pool) t.join();
  if (failed) return -1;
  return static_cast<double>(done) / std::chrono::duration<double>(kMeasure).count();
}

EvpPkeyPtr P256() {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

void AddExt(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr MakeCert(EVP_PKEY* key, X509* issuer, EVP_PKEY* signer, bool ca) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 86400);
  X509_NAME_add_entry_by_txt(
      X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(ca ? "bench CA" : "edgegateway.local"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer ? issuer : cert.get()));
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  AddExt(cert.get(), &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE,pathlen:0" : "CA:FALSE");
  AddExt(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  if (!ca) {
    AddExt(cert.get(), &ctx, NID_authority_key_identifier, "keyid");
    AddExt(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExt(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
    AddExt(cert.get(), &ctx, NID_subject_alt_name, "DNS:edgegateway.local,DNS:edgehub");
  }
  X509_sign(cert.get(), signer, EVP_sha256());
  return cert;
}

}  // namespace

int main(int argc, char** argv) {
  std::string edgectl = argc > 1 ? argv[1] : bench::EdgectlBesideBench();
  std::string error;
  auto stack = bench::EdgectlRoot::Up(edgectl, &error);
  if (!stack) return Fail(error);
  const std::string& root = stack->path();
  identityd::WorkloadClient client(root + "/run/edgesec/workload.sock");
  identityd::api::ServerCertRequest request{"edgegateway.local", std::nullopt};
  auto first = client.ServerCert("edgehub", "1", request);  // the Edge CA is ready after this
  if (!first) return Fail("workload API: " + first.error().message);

  EvpPkeyPtr ca_key = P256();
  X509Ptr ca = MakeCert(ca_key.get(), nullptr, ca_key.get(), true);
  double in_process = Rate(1, [&] {
    EvpPkeyPtr key = P256();
    X509Ptr cert = MakeCert(key.get(), ca.get(), ca_key.get(), false);
    auto k = PrivateKeyToPkcs8Pem(key.get());
    return cert != nullptr && k.has_value();
  });
  auto over_socket = [&] { return client.ServerCert("edgehub", "1", request).has_value(); };
  double workload_1 = Rate(1, over_socket);
  double workload_2 = Rate(2, over_socket);
  stack.reset();
  if (in_process <= 0 || workload_1 <= 0 || workload_2 <= 0) return Fail("a measurement failed");

  std::printf("module server certs (EC P-256 key + cert, 30 days, SANs, EKU serverAuth)\n");
  std::printf("  in-process OpenSSL, 1 thread:        %8.1f certs/s (baseline)\n", in_process);
  double r1 = workload_1 / in_process, r2 = workload_2 / in_process;
  std::printf(
      "  workload API, 1 client:              %8.1f certs/s  ratio %.2f   goal >= 0.40   %s\n",
      workload_1, r1, r1 >= 0.4 ? "PASS" : "MISS");
  std::printf(
      "  workload API, 2 clients:             %8.1f certs/s  ratio %.2f   goal >= 0.60   %s\n",
      workload_2, r2, r2 >= 0.6 ? "PASS" : "MISS");
  return 0;
}

// certd-issue: local issuance (CSR in, certificate out) per second, three ways, in one run:
//   1. in-process: certd's issuance function (CSR signature check, X509 building, X509_sign) with
//      the CA key in this process — the baseline;
//   2. in-process with the CA key in keyd, through keyd::LoadRemoteKey (keyd's cost alone);
//   3. through certd: POST /certificates with issuer {certId, privateKeyHandle} (HTTP, certd, its
//      store's atomic write with fsync, and keyd);
//   4. the same with "store": false (what identityd asks for module certs): no store write.
// Prints the rates, the ratios against the baseline and issue 14's goal (certd ÷ baseline >= 0.5,
// for both) with PASS/MISS, and certd's idle RssAnon (goal as keyd-sign's for keyd) and exec →
// READY=1. EC P-256 CA and leaf keys; a pool of CSRs made before measuring, used in turn.
//
//   certd-issue [path/to/edgesec-keyd [path/to/edgesec-certd]]   (default: next to this binary's
//   dir)
#include <openssl/pem.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/keyd_process.hpp"
#include "certd/client/certd_client.hpp"
#include "certd/x509/issue.hpp"
#include "common/ossl.hpp"
#include "keyd/client/keyd_client.hpp"
#include "keyd/client/remote_key.hpp"

using namespace edgesec;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kWarmUp = std::chrono::milliseconds(300);
constexpr auto kMeasure = std::chrono::seconds(2);
constexpr int kCsrs = 64;

std::string BinaryPath(int argc, char** argv, int index, const char* name) {
  if (argc > index) return argv[index];
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / name).string();  // <build>/bench/certd-issue
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "certd-issue: %s\n", what.c_str());
  return 1;
}

std::string CsrPem(EVP_PKEY* key, const std::string& cn) {
  X509ReqPtr req(X509_REQ_new());
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  X509_REQ_sign(req.get(), key, EVP_sha256());
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Operations per second of `op` (false: failed) on this thread, after a warm-up; -1 on failure.
double Rate(const std::function<bool()>& op) {
  Clock::time_point from = Clock::now() + kWarmUp, until = from + kMeasure;
  long done = 0;
  for (Clock::time_point now = Clock::now(); now < until; now = Clock::now()) {
    if (!op()) return -1;
    if (now >= from) ++done;
  }
  return static_cast<double>(done) / std::chrono::duration<double>(kMeasure).count();
}

// The issuance certd does for POST /certificates, minus HTTP and the store.
bool IssueInProcess(const std::string& csr_pem, X509* ca, EVP_PKEY* key,
                    const certd::x509::Profile& profile) {
  auto csr = certd::x509::VerifiedCsr(csr_pem);
  if (!csr) return false;
  certd::x509::IssueInput in{csr->get(), ca, key, &profile,
                             static_cast<int64_t>(std::time(nullptr))};
  auto cert = certd::x509::IssueCertificate(in);
  if (!cert) std::fprintf(stderr, "certd-issue: %s\n", cert.error().Describe().c_str());
  return cert && edgesec::x509::ToPem(cert->get()).has_value();
}

void PrintFigures(double raw, double via_keyd, double via_certd, double unstored) {
  std::printf("in-process, key in this process:       %8.0f certs/s   (baseline)\n", raw);
  std::printf("in-process, key in keyd (remote key):  %8.0f certs/s   ratio %.3f\n", via_keyd,
              via_keyd / raw);
  std::printf(
      "certd POST /certificates, key in keyd: %8.0f certs/s   ratio %.3f   goal >= 0.50   %s\n",
      via_certd, via_certd / raw, via_certd / raw >= 0.5 ? "PASS" : "MISS");
  std::printf(
      "certd POST, store false, key in keyd:  %8.0f certs/s   ratio %.3f   goal >= 0.50   %s\n",
      unstored, unstored / raw, unstored / raw >= 0.5 ? "PASS" : "MISS");
  std::printf(
      "certd / in-process with the keyd key:  %8.3f           (HTTP + certd + store write, without "
      "keyd's share)\n",
      via_certd / via_keyd);
  std::printf("same, store false:                     %8.3f           (HTTP + certd, no write)\n",
              unstored / via_keyd);
}

void PrintCertd(long idle_rss_anon, double ready_ms) {
  std::printf("certd idle RssAnon:                    %8ld KiB   goal <= 4096 KiB   %s\n",
              idle_rss_anon, idle_rss_anon >= 0 && idle_rss_anon <= 4096 ? "PASS" : "MISS");
  std::printf(
      "certd exec -> READY=1 (NOTIFY_SOCKET): %8.1f ms (one start; keyd-sign takes the median of "
      "5)\n",
      ready_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string keyd_path = BinaryPath(argc, argv, 1, "edgesec-keyd");
  const std::string certd_path = BinaryPath(argc, argv, 2, "edgesec-certd");
  for (const auto& p : {keyd_path, certd_path})
    if (::access(p.c_str(), X_OK) != 0)
      return Fail("no binary at '" + p + "' (pass keyd's and certd's paths)");
  std::printf(
      "certd-issue: EC P-256 CA and leaves, SHA-256; %.1f s warm-up, %.1f s per figure; %u CPUs\n",
      std::chrono::duration<double>(kWarmUp).count(),
      std::chrono::duration<double>(kMeasure).count(), std::thread::hardware_concurrency());

  // The CA (self-signed by certd's own issuance code) and the CSRs, before anything is timed.
  EvpPkeyPtr ca_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  certd::x509::Profile ca_profile = certd::x509::DefaultCaProfile(),
                       leaf = certd::x509::DefaultLeafProfile();
  auto ca_csr = certd::x509::VerifiedCsr(CsrPem(ca_key.get(), "bench-ca"));
  if (!ca_csr) return Fail(ca_csr.error().Describe());
  auto ca = certd::x509::IssueCertificate(
      {ca_csr->get(), nullptr, ca_key.get(), &ca_profile, std::time(nullptr) - 60});
  if (!ca) return Fail("making the CA: " + ca.error().Describe());
  std::vector<std::string> csrs;
  for (int i = 0; i < kCsrs; ++i) {
    EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    csrs.push_back(CsrPem(k.get(), "leaf-" + std::to_string(i)));
  }
  size_t next = 0;
  auto csr = [&]() -> const std::string& { return csrs[next++ % csrs.size()]; };

  // 1. Baseline: in-process key.
  double raw = Rate([&] { return IssueInProcess(csr(), ca->get(), ca_key.get(), leaf); });
  if (raw <= 0) return Fail("in-process issuance failed");

  // keyd + certd on a temp root; the CA key imported into keyd, the CA cert into certd.
  bench::BenchDir dir;
  if (dir.path().empty()) return Fail("cannot create a temp directory");
  auto keyd = bench::KeydProcess::Start(keyd_path, dir.path());
  if (!keyd) return Fail(keyd.error().Describe());
  auto certd = bench::KeydProcess::Start(certd_path, dir.path(), "certd");
  if (!certd) return Fail(certd.error().Describe());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // idle: before any request
  auto certd_idle = bench::ReadMemoryFigures((*certd)->pid());
  if (!certd_idle) return Fail(certd_idle.error().Describe());
  auto keyd_client = std::make_shared<keyd::KeydClient>((*keyd)->socket());
  auto der = PrivateKeyToPkcs8Der(ca_key.get());
  if (!der) return Fail(der.error().Describe());
  auto handle = keyd_client->ImportKeyPair("bench-ca", *der);
  if (!handle) return Fail("importing the CA key into keyd: " + handle.error().Describe());
  certd::CertdClient certd_client((*certd)->socket());
  auto ca_pem = edgesec::x509::ToPem(ca->get());
  if (auto st = certd_client.Import("bench-ca", *ca_pem); !st)
    return Fail("importing the CA cert: " + st.error().Describe());

  // 2. In-process issuance, CA key in keyd.
  auto remote = keyd::LoadRemoteKey(keyd_client, *handle);
  if (!remote) return Fail("LoadRemoteKey: " + remote.error().Describe());
  double via_keyd = Rate([&] { return IssueInProcess(csr(), ca->get(), remote->get(), leaf); });
  if (via_keyd <= 0) return Fail("in-process issuance with the key in keyd failed");

  // 3. Through certd.
  certd::api::CreateCertRequest request;
  request.cert_id = "bench-leaf";
  request.issuer = certd::api::Issuer{"bench-ca", *handle};
  double via_certd = Rate([&] {
    request.csr = csr();
    auto pem = certd_client.Issue(request);
    if (!pem)
      std::fprintf(stderr, "certd-issue: POST /certificates: %s\n", pem.error().Describe().c_str());
    return pem.has_value();
  });
  if (via_certd <= 0) return Fail("issuance through certd failed");
  // 4. Through certd, not stored ("store": false, as identityd asks for module certs): no write.
  request.store = false;
  double unstored = Rate([&] {
    request.csr = csr();
    auto pem = certd_client.Issue(request);
    if (!pem)
      std::fprintf(stderr, "certd-issue: POST /certificates: %s\n", pem.error().Describe().c_str());
    return pem.has_value();
  });
  if (unstored <= 0) return Fail("issuance through certd with store false failed");

  PrintFigures(raw, via_keyd, via_certd, unstored);
  PrintCertd(certd_idle->rss_anon, (*certd)->ready_ms());
  return 0;
}

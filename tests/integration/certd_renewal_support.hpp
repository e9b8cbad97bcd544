#pragma once
// Shared by the certd_renewal_* integration tests: the test clock file and pause hooks (both only
// honoured under --root), waiting for a credential's state, and OpenSSL checks of what certd
// stored — a cert against the keyd key its record names.
#include <fcntl.h>
#include <openssl/pem.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "common/x509/pem.hpp"
#include "tests/integration/certd_harness.hpp"

namespace edgesec::testing {

// Sets an environment variable for the daemons started while it lives (they inherit it).
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

// EDGESEC_TEST_CLOCK_FILE: certd's clock is wall time + the seconds written here.
struct TestClock {
  TempDir dir;
  std::string path = dir.path() + "/clock";
  ScopedEnv env{"EDGESEC_TEST_CLOCK_FILE", path};
  TestClock() { Set(0); }
  void Set(int64_t offset) { WriteText(path, std::to_string(offset) + "\n"); }
};

inline bool WaitUntil(const std::function<bool()>& done, int seconds = 20) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

inline certd::api::CredentialStatus CredStatus(CertdStack& s, const std::string& id) {
  return MUST(s.client->GetCredential(id));
}

// Waits until the credential's state is `state` (and, when given, its cert is not `old_pem`).
inline certd::api::CredentialStatus WaitForState(CertdStack& s, const std::string& id,
                                                 const std::string& state,
                                                 const std::string& old_pem = {},
                                                 int seconds = 20) {
  certd::api::CredentialStatus last;
  bool ok = WaitUntil(
      [&] {
        auto st = s.client->GetCredential(id);
        if (!st) return false;
        last = *st;
        if (st->state != state) return false;
        if (old_pem.empty()) return true;
        auto pem = s.client->Get(id);
        return pem && *pem != old_pem;
      },
      seconds);
  INFO("credential '" << id << "' state " << last.state << ", attempts " << last.attempts
                      << ", lastError " << last.last_error);
  REQUIRE(ok);
  return last;
}

inline X509Ptr LeafOf(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

// The leaf of `pem` is the certificate of keyd's key `key_id`.
inline bool CertMatchesKey(CertdStack& s, const std::string& pem, const std::string& key_id) {
  auto handle = s.keyd_client->GetKeyPair(key_id);
  if (!handle) return false;
  EvpPkeyPtr pub = MUST(s.keyd_client->PublicKey(*handle));
  return EVP_PKEY_eq(X509_get0_pubkey(LeafOf(pem).get()), pub.get()) == 1;
}

inline bool KeyExists(CertdStack& s, const std::string& key_id) {
  return s.keyd_client->GetKeyPair(key_id).has_value();
}

// `openssl x509 -text` of the leaf of `pem`.
inline std::string OpensslText(CertdStack& s, const std::string& pem) {
  std::string file = s.dir.path() + "/text.pem";
  WriteText(file, pem);
  RunResult r = Run({"openssl", "x509", "-noout", "-text", "-in", file});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// `openssl verify -CAfile ca chain` with the chain's intermediates untrusted.
// `at`: verify at that time (certd's test clock), not now.
inline RunResult OpensslVerify(CertdStack& s, const std::string& ca_pem, const std::string& pem,
                               int64_t at = 0) {
  WriteText(s.dir.path() + "/verify-ca.pem", ca_pem);
  WriteText(s.dir.path() + "/verify-leaf.pem", pem);
  std::vector<std::string> argv = {"openssl", "verify", "-CAfile", s.dir.path() + "/verify-ca.pem",
                                   "-untrusted", s.dir.path() + "/verify-leaf.pem"};
  if (at != 0) argv.insert(argv.end(), {"-attime", std::to_string(at)});
  argv.push_back(s.dir.path() + "/verify-leaf.pem");
  return Run(argv);
}

inline int64_t NotAfterOf(const std::string& pem) {
  struct tm tm {};
  ASN1_TIME_to_tm(X509_get0_notAfter(LeafOf(pem).get()), &tm);
  return static_cast<int64_t>(::timegm(&tm));
}

}  // namespace edgesec::testing

namespace edgesec::testing {

// Daemons started while it lives write their stderr (the log) to `path`.
struct StderrToFile {
  int saved = -1;
  explicit StderrToFile(const std::string& path) {
    std::fflush(stderr);
    saved = ::dup(2);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    REQUIRE(fd >= 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrToFile() {
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
  }
};

inline int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Rewrites certd's config and sends SIGHUP; waits a little for the reload.
inline void ReloadCertd(CertdStack& s, const std::string& config) {
  WriteText(s.dir.path() + "/etc/edgesec/certd/config.toml", config);
  ::kill(s.certd->pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

inline RunResult Edgectl(CertdStack& s, std::vector<std::string> args) {
  args.insert(args.begin(), BinaryFromEnv("EDGESEC_EDGECTL"));
  args.push_back("--root");
  args.push_back(s.dir.path());
  return Run(args);
}

constexpr int64_t kDay = 86400;

}  // namespace edgesec::testing

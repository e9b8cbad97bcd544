// certd reloads its config on SIGHUP: a changed profile or principal applies to the next request; a
// broken config is refused and the running one kept.
#include <openssl/pem.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <thread>

#include "tests/integration/certd_harness.hpp"
#include "tests/support/skip.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

std::string ConfigWith(int days, const std::string& extra = {}) {
  return "socket_mode = \"0666\"\n[profiles.short]\nvalidity_days = " + std::to_string(days) +
         "\n" + extra;
}

void Reconfigure(CertdStack& s, const std::string& config) {
  WriteText(s.dir.path() + "/etc/edgesec/certd/config.toml", config);
  REQUIRE(::kill(s.certd->pid(), SIGHUP) == 0);
}

// Polls `done` for up to 5 s (the reload runs on certd's signal thread).
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 100; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Days of validity of a cert issued now under profile "short".
int64_t IssuedDays(CertdStack& s, CaInKeyd& ca) {
  EvpPkeyPtr key = GenerateKey("ec-p256");
  certd::api::CreateCertRequest req{"leaf", MakeCsr(key.get(), "leaf"),
                                    certd::api::Issuer{"ca", ca.handle}, std::string("short")};
  auto pem = s.client->Issue(req);
  if (!pem) return -1;
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(leaf);
  int days = 0, seconds = 0;
  REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(leaf.get()),
                         X509_get0_notAfter(leaf.get())) == 1);
  return days;
}

RunResult CurlAs65534(CertdStack& s, const std::string& path) {
  return Run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "-o",
              "/dev/null", "-w", "%{http_code}", "--unix-socket", s.certd_socket(),
              "http://certd.sock" + path});
}

}  // namespace

TEST_CASE(
    "certd applies a changed profile after SIGHUP and keeps the old config when the new one is "
    "broken") {
  CertdStack s(ConfigWith(10) + kNoQuickstart);
  CaInKeyd ca = MakeCaInKeyd(s, "ca");
  CHECK(IssuedDays(s, ca) == 10);

  Reconfigure(s, ConfigWith(20));
  CHECK(Eventually([&] { return IssuedDays(s, ca) == 20; }));

  // Broken: an unknown key. certd keeps serving with the 20-day profile.
  Reconfigure(s, ConfigWith(30) + "[profiles.short2]\nvalidty_days = 3\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(IssuedDays(s, ca) == 20);
  CHECK(::kill(s.certd->pid(), 0) == 0);

  // And a good config after the broken one applies again.
  Reconfigure(s, ConfigWith(40));
  CHECK(Eventually([&] { return IssuedDays(s, ca) == 40; }));
}

TEST_CASE("certd applies a changed principal after SIGHUP") {
  if (::getuid() != 0) {
    return edgesec::testing::SkipCase("needs root to drop to uid 65534");
  }
  CertdStack s(ConfigWith(10) + kNoQuickstart);
  MUST(s.client->Import(
      "shared", Pem(MakeCert({.cn = "shared", .key = GenerateKey("ec-p256").get()}).get())));
  const std::string path = "/certificates/shared?api-version=2020-09-01";
  CHECK(CurlAs65534(s, path).out == "401");

  Reconfigure(s, ConfigWith(10, "[[principal]]\nuid = 65534\ncerts = [\"shared\"]\n"));
  CHECK(Eventually([&] { return CurlAs65534(s, path).out == "200"; }));

  Reconfigure(s, ConfigWith(10, "[[principal]]\nuid = 65534\ncerts = [\"other-*\"]\n"));
  CHECK(Eventually([&] { return CurlAs65534(s, path).out == "401"; }));
}

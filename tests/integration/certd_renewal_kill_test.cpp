// Two-phase renewal: certd is SIGKILLed at each pause point of a renewal that rotates the key
// (EDGESEC_TEST_PAUSE, only under --root). After the restart the stored cert matches the key its
// record names — the old pair before the commit, the new pair after it, never a mix — and the
// renewal completes afterwards.
#include <sys/stat.h>

#include "tests/integration/certd_renewal_support.hpp"
#include "tests/support/est_server.hpp"

using namespace edgesec;
using namespace edgesec::testing;

TEST_CASE("a kill at each pause point leaves the old pair or the new pair, and the renewal completes after a restart") {
  std::string phase = GENERATE(as<std::string>{}, "after-key", "after-cert", "before-commit", "after-commit");
  INFO("killed at " << phase);
  bool committed = phase == "after-commit";
  TestClock clock;
  std::optional<ScopedEnv> pause(std::in_place, "EDGESEC_TEST_PAUSE", phase);
  CertdStack s(R"(
[renewal]
tick = "1s"
[edge_ca]
quickstart = false
[[credential]]
cert_id = "dev"
method = "self_signed"
common_name = "dev.local"
)");
  WaitForState(s, "dev", "valid");  // the initial issuance does not pause
  std::string old_pem = MUST(s.client->Get("dev"));
  CHECK(CredStatus(s, "dev").key_id == "dev");

  clock.Set(300 * kDay);  // past 80% of 365 days
  std::string marker = s.dir.path() + "/var/lib/edgesec/certd/paused-" + phase;
  REQUIRE(WaitUntil([&] {
    struct stat st {};
    return ::stat(marker.c_str(), &st) == 0;
  }));
  s.certd->Kill();
  ::unlink(marker.c_str());
  pause.reset();
  clock.Set(0);  // so that the restarted scheduler does not renew before the pair is checked
  s.StartCertd();

  // After the restart: one consistent pair.
  std::string pem = MUST(s.client->Get("dev"));
  std::string key_id = CredStatus(s, "dev").key_id;
  CHECK(CertMatchesKey(s, pem, key_id));
  if (committed) {
    CHECK(pem != old_pem);
    CHECK(key_id == "dev-v2");
  } else {
    CHECK(pem == old_pem);
    CHECK(key_id == "dev");
  }

  // The renewal completes: an interrupted one is redone (a key left behind under dev-v2 is reused),
  // a committed one is not repeated.
  clock.Set(300 * kDay);
  if (!committed) WaitForState(s, "dev", "valid", old_pem);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  pem = MUST(s.client->Get("dev"));
  auto st = CredStatus(s, "dev");
  CHECK(st.state == "valid");
  CHECK(st.key_id == "dev-v2");
  CHECK(pem != old_pem);
  CHECK(CertMatchesKey(s, pem, "dev-v2"));
  CHECK(st.attempts == 0);
}

TEST_CASE("an EST re-enrollment killed before or after its commit leaves one consistent pair and completes after a restart") {
  std::string phase = GENERATE(as<std::string>{}, "after-key", "after-commit");
  INFO("killed at " << phase);
  bool committed = phase == "after-commit";
  EstServer est;
  TestClock clock;
  std::optional<ScopedEnv> pause(std::in_place, "EDGESEC_TEST_PAUSE", phase);
  CertdStack s("[renewal]\ntick = \"1s\"\n[edge_ca]\nquickstart = false\n[est]\nurl = \"" + est.BaseUrl() +
               "\"\ntrusted_certs = [\"" + est.RootPem() +
               "\"]\n[[credential]]\ncert_id = \"device\"\nmethod = \"est\"\nthreshold = \"6h\"\n");
  WaitForState(s, "device", "valid");  // the initial enrollment does not pause
  std::string old_pem = MUST(s.client->Get("device"));

  clock.Set(19 * 3600);  // past the threshold of the 1-day EST cert
  std::string marker = s.dir.path() + "/var/lib/edgesec/certd/paused-" + phase;
  REQUIRE(WaitUntil([&] {
    struct stat st {};
    return ::stat(marker.c_str(), &st) == 0;
  }));
  s.certd->Kill();
  ::unlink(marker.c_str());
  pause.reset();
  clock.Set(0);
  s.StartCertd();
  std::string pem = MUST(s.client->Get("device"));
  std::string key_id = CredStatus(s, "device").key_id;
  CHECK(CertMatchesKey(s, pem, key_id));
  CHECK(key_id == (committed ? "device-v2" : "device"));
  CHECK((pem == old_pem) == !committed);

  if (!committed) {  // the interrupted re-enrollment is redone (the key left under device-v2 reused)
    clock.Set(19 * 3600);
    WaitForState(s, "device", "valid", old_pem);
    clock.Set(0);
  }
  auto st = CredStatus(s, "device");
  CHECK(st.key_id == "device-v2");
  CHECK(CertMatchesKey(s, MUST(s.client->Get("device")), "device-v2"));
}

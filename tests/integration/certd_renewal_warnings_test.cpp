// Expiry warnings: logged once per delta per cert (keyed by its fingerprint), remembered across a
// restart (renewal.json); an expired preloaded cert is loaded and warned about.
#include "tests/integration/certd_renewal_support.hpp"

using namespace edgesec;
using namespace edgesec::testing;

TEST_CASE("expiry warnings are logged once per delta, also across a restart, and for an expired preloaded cert") {
  TestClock clock;
  TempDir files;
  EvpPkeyPtr key = GenerateKey("ec-p256");
  std::string pre = files.path() + "/pre.pem";
  WriteText(pre, Pem(MakeCert({.cn = "pre", .not_before = -10 * kDay, .not_after = -kDay, .key = key.get()}).get()));
  std::string log1 = files.path() + "/certd-1.log", log2 = files.path() + "/certd-2.log";
  std::string config = R"(
[renewal]
tick = "1s"
[edge_ca]
quickstart = false
[profiles.forty]
validity_days = 40
[[credential]]
cert_id = "warn"
method = "self_signed"
profile = "forty"
auto_renew = false
[preloaded_certs]
pre = "file://)" + pre + "\"\n";
  std::optional<CertdStack> s;
  {
    StderrToFile redirect(log1);
    s.emplace(config);
  }
  certd::api::CreateCertRequest r;
  r.cert_id = "warn";
  MUST(s->client->Issue(r));
  REQUIRE(WaitUntil([&] { return CountOf(ReadTextFile(log1), "cert 'pre' (sha256") == 1; }, 10));
  CHECK_THAT(ReadTextFile(log1), Catch::Contains("cert 'pre' (sha256") && Catch::Contains("has expired"));
  clock.Set(15 * kDay);  // 25 days left: the 30d warning
  REQUIRE(WaitUntil([&] { return CountOf(ReadTextFile(log1), "cert 'warn' (sha256") == 1; }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  std::string text = ReadTextFile(log1);
  CHECK(CountOf(text, "cert 'warn' (sha256") == 1);
  CHECK(CountOf(text, "expires within 30d") == 1);
  CHECK(CountOf(text, "cert 'pre' (sha256") == 1);

  s->certd->Stop();
  {
    StderrToFile redirect(log2);
    s->StartCertd();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  text = ReadTextFile(log2);
  CHECK(CountOf(text, "cert 'warn' (sha256") == 0);  // remembered across the restart
  CHECK(CountOf(text, "cert 'pre' (sha256") == 0);
  clock.Set(34 * kDay);  // 6 days left: the 7d warning, once
  REQUIRE(WaitUntil([&] { return CountOf(ReadTextFile(log2), "expires within 7d") == 1; }, 10));
  clock.Set(41 * kDay);  // expired
  REQUIRE(WaitUntil([&] { return CountOf(ReadTextFile(log2), "cert 'warn' (sha256") == 2; }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  text = ReadTextFile(log2);
  CHECK(CountOf(text, "cert 'warn' (sha256") == 2);
  CHECK_THAT(text, Catch::Contains("has expired"));
  CHECK(CountOf(text, "expires within 1d") == 0);  // crossed together with expiry: the smaller one
  CHECK(CredStatus(*s, "warn").state == "expired");
}

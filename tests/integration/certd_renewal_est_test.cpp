// Renewal of an est credential when the EST server fails: down (connection refused), answering 500,
// answering 202 beyond the longest wait. Each time the old cert stays in use and the failure, the
// attempt count and the next attempt are visible through GET /credentials; once the server is back
// the renewal succeeds (re-enroll with a rotated key). Driven by the test clock file; the server is
// switched by rewriting the credential's url and SIGHUP.
#include "tests/support/est_server.hpp"
#include "tests/integration/certd_renewal_support.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

std::string Config(const std::string& url, const std::vector<const EstServer*>& servers) {
  std::string trusted;
  for (const EstServer* e : servers) trusted += (trusted.empty() ? "\"" : ", \"") + e->RootPem() + "\"";
  return "[renewal]\ntick = \"1s\"\n[edge_ca]\nquickstart = false\n"
         "[est]\nurl = \"" + servers[0]->BaseUrl() + "\"\ntrusted_certs = [" + trusted + "]\nmax_wait = \"2s\"\n"
         "[[credential]]\ncert_id = \"device\"\nmethod = \"est\"\ncommon_name = \"device-1\"\n"
         "threshold = \"6h\"\nretry = \"1h\"\nurl = \"" + url + "\"\n";
}

}  // namespace

TEST_CASE("EST renewal failures (down, 500, 202 past the longest wait) keep the old cert, show the failure, and recover") {
  EstServer ok;
  EstServer error500({"--mode", "error500", "--client-ca", ok.ChainPem()});
  EstServer pending({"--mode", "pending", "--pending", "1000", "--retry-after", "1", "--client-ca", ok.ChainPem()});
  std::vector<const EstServer*> all = {&ok, &error500, &pending};
  TestClock clock;
  CertdStack s(Config(ok.BaseUrl(), all));
  auto first = WaitForState(s, "device", "valid");  // the initial enrollment, by the scheduler
  std::string old_pem = MUST(s.client->Get("device"));
  CHECK(CertMatchesKey(s, old_pem, first.key_id));

  struct Failure {
    std::string url, says;
  };
  std::vector<Failure> failures = {{"https://127.0.0.1:1", "127.0.0.1:1"},
                                   {error500.BaseUrl(), "500"},
                                   {pending.BaseUrl(), "still processing"}};
  int64_t offset = 18 * 3600 + 1800;  // past the 6h-before-expiry threshold of the 1-day cert
  for (size_t i = 0; i < failures.size(); ++i) {
    INFO("failure " << i + 1 << ": " << failures[i].url);
    ReloadCertd(s, Config(failures[i].url, all));
    clock.Set(offset);
    REQUIRE(WaitUntil([&] { return CredStatus(s, "device").attempts == static_cast<int>(i + 1); }, 20));
    auto st = CredStatus(s, "device");
    CHECK(st.state == "failed");
    CHECK_THAT(st.last_error, Catch::Contains(failures[i].says));
    CHECK_FALSE(st.last_attempt.empty());
    int64_t next = MUST(edgesec::x509::ParseRfc3339(st.next_renewal));
    int64_t now = std::time(nullptr) + offset;
    CHECK(next >= now + 3600 - 30);
    CHECK(next <= now + 3600 + 360 + 30);
    CHECK(MUST(s.client->Get("device")) == old_pem);  // the old cert stays in use
    CHECK(st.key_id == first.key_id);
    offset += 3600 + 360 + 60;  // past the retry (1 h + at most 10% jitter)
  }
  ReloadCertd(s, Config(ok.BaseUrl(), all));
  clock.Set(offset);
  auto renewed = WaitForState(s, "device", "valid", old_pem);
  clock.Set(0);
  CHECK(renewed.attempts == 0);
  CHECK(renewed.last_error.empty());
  CHECK(renewed.key_id == "device-v2");
  std::string pem = MUST(s.client->Get("device"));
  CHECK(CertMatchesKey(s, pem, "device-v2"));
  CHECK_FALSE(KeyExists(s, first.key_id));
  // The failing servers saw re-enrollments; the last one polled its 202 until the longest wait.
  std::vector<std::string> log = pending.Requests();
  CHECK(log.size() >= 2);
}

// edgesec_est_requests_total{op,status} (docs/metrics.md), counted by the EST client itself against
// the project's EST test server: a 200 per operation, a 401, a server that is not there (transport)
// and one whose certificate the client does not trust (tls), each by exactly one.
#include <string>

#include "common/metrics.hpp"
#include "tests/integration/est_helpers.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::testing::LocalEcKey;

namespace {

double Count(const std::string& op, const std::string& status) {
  for (const auto& f : metrics::Default().Collect()) {
    if (f.name != "edgesec_est_requests_total") continue;
    for (const auto& s : f.samples)
      if (s.labels == metrics::Labels{{"op", op}, {"status", status}}) return s.value;
  }
  return 0;
}

}  // namespace

TEST_CASE("each EST request is counted once, by operation and HTTP status or error class") {
  EstServer server;
  auto client = MakeClient(server);
  double cacerts = Count("cacerts", "200"), enroll = Count("simpleenroll", "200");
  REQUIRE(client.CaCerts());
  CHECK(Count("cacerts", "200") == cacerts + 1);
  EvpPkeyPtr key = LocalEcKey();
  EnrollFor(client, key.get(), "metrics-device");
  CHECK(Count("simpleenroll", "200") == enroll + 1);

  EstServer auth({"--user", "device", "--password", "s3cret"});
  est::EstConfig config;
  config.base_url = auth.BaseUrl();
  config.trusted_certs = {auth.RootPem()};
  config.username = "device";
  config.password = Secret::FromString("wrong");
  auto wrong = est::EstClient::Create(std::move(config));
  REQUIRE(wrong);
  double refused = Count("simpleenroll", "401");
  auto csr = Csr(key.get(), "metrics-bad");
  REQUIRE_FALSE(wrong->SimpleEnroll(csr.get()));
  CHECK(Count("simpleenroll", "401") == refused + 1);

  // A root that did not issue the server's certificate: the handshake fails.
  EstServer other;
  est::EstConfig untrusting;
  untrusting.base_url = server.BaseUrl();
  untrusting.trusted_certs = {other.RootPem()};
  auto tls_client = est::EstClient::Create(std::move(untrusting));
  REQUIRE(tls_client);
  double tls = Count("cacerts", "tls");
  REQUIRE_FALSE(tls_client->CaCerts());
  CHECK(Count("cacerts", "tls") == tls + 1);

  // Nothing listens on port 1 of the loopback.
  est::EstConfig nowhere;
  nowhere.base_url = "https://127.0.0.1:1";
  nowhere.trusted_certs = {server.RootPem()};
  auto down = est::EstClient::Create(std::move(nowhere));
  REQUIRE(down);
  double transport = Count("csrattrs", "transport");
  REQUIRE_FALSE(down->CsrAttributes());
  CHECK(Count("csrattrs", "transport") == transport + 1);
}

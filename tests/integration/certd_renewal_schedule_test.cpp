// The renewal scheduler in the real certd, driven by the test clock file: thresholds in % and
// absolute time, rotate_key on and off (the key id changes or not; the cert matches the key), a
// forward jump past expiry (one attempt, then retries spaced by `retry`), a jump back (the retry is
// not postponed), and edgectl cert renew / cert list.
#include "tests/integration/certd_renewal_support.hpp"

using namespace edgesec;
using namespace edgesec::testing;

TEST_CASE("renewal at a % threshold with key rotation and at an absolute threshold keeping the key") {
  TestClock clock;
  CertdStack s(R"(
[renewal]
tick = "1s"
[edge_ca]
quickstart = false
[[credential]]
cert_id = "pct"
method = "self_signed"
threshold = "50%"
[[credential]]
cert_id = "abs"
method = "self_signed"
threshold = "100d"
rotate_key = false
)");
  WaitForState(s, "pct", "valid");
  WaitForState(s, "abs", "valid");
  std::string pct0 = MUST(s.client->Get("pct")), abs0 = MUST(s.client->Get("abs"));
  CHECK(CredStatus(s, "pct").key_id == "pct");
  // Thresholds 182.5 d and 265 d of the default 365, made earlier by a jitter of up to 25% of the
  // renewal window (decision.hpp): due from 136.875 d and 240 d at the earliest.
  clock.Set(100 * kDay);  // before both
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(MUST(s.client->Get("pct")) == pct0);
  CHECK(MUST(s.client->Get("abs")) == abs0);

  clock.Set(183 * kDay);
  auto pct = WaitForState(s, "pct", "valid", pct0);
  std::string pct1 = MUST(s.client->Get("pct"));
  CHECK(pct.key_id == "pct-v2");
  CHECK(CertMatchesKey(s, pct1, "pct-v2"));
  CHECK_FALSE(KeyExists(s, "pct"));  // the replaced key is deleted after the commit
  CHECK(MUST(s.client->Get("abs")) == abs0);
  CHECK(pct.attempts == 0);

  clock.Set(266 * kDay);
  auto abs = WaitForState(s, "abs", "valid", abs0);
  std::string abs1 = MUST(s.client->Get("abs"));
  CHECK(abs.key_id == "abs");  // rotate_key = false
  CHECK(CertMatchesKey(s, abs1, "abs"));
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(LeafOf(abs0).get()), X509_get0_pubkey(LeafOf(abs1).get())) == 1);
  CHECK(MUST(s.client->Get("pct")) == pct1);  // its new cert is not due before 319.875 d
  // openssl agrees: the stored cert's public key is keyd's key
  WriteText(s.dir.path() + "/pct1.pem", pct1);
  RunResult pub = Run({"openssl", "x509", "-noout", "-pubkey", "-in", s.dir.path() + "/pct1.pem"});
  EvpPkeyPtr keyd_pub = MUST(s.keyd_client->PublicKey(MUST(s.keyd_client->GetKeyPair("pct-v2"))));
  CHECK(pub.out == PublicPem(keyd_pub.get()));
}

TEST_CASE("a jump past expiry makes one attempt then retries spaced by retry; a jump back does not postpone the retry") {
  TestClock clock;
  CertdStack s(R"(
[renewal]
tick = "1s"
[edge_ca]
quickstart = false
[profiles.short-ca]
ca = true
validity_days = 10
key_usage = ["keyCertSign", "digitalSignature"]
[[credential]]
cert_id = "short-ca"
method = "self_signed"
profile = "short-ca"
auto_renew = false
[[credential]]
cert_id = "leaf"
method = "local_ca"
issuer_cert = "short-ca"
)");
  certd::api::CreateCertRequest ca;
  ca.cert_id = "short-ca";
  MUST(s.client->Issue(ca));
  // The leaf's initial issuance needed the CA: it backs off from the floor, so issue it now.
  MUST(s.client->Renew("leaf"));
  std::string leaf0 = MUST(s.client->Get("leaf"));
  CHECK(CredStatus(s, "leaf").state == "valid");
  int64_t retry = 10 * kDay * 4 / 100;  // 4% of the leaf's lifetime (capped at the CA's 10 d)

  clock.Set(30 * kDay);  // both expired: every attempt fails (the issuer expired)
  auto failed = WaitForState(s, "leaf", "expired");
  REQUIRE(WaitUntil([&] { return CredStatus(s, "leaf").attempts == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // three ticks: no storm
  failed = CredStatus(s, "leaf");
  CHECK(failed.attempts == 1);
  CHECK_THAT(failed.last_error, Catch::Contains("issuer certificate 'short-ca' expired"));
  CHECK(MUST(s.client->Get("leaf")) == leaf0);  // the old cert stays
  REQUIRE_FALSE(failed.next_renewal.empty());
  int64_t next = MUST(edgesec::x509::ParseRfc3339(failed.next_renewal));
  int64_t wall = std::time(nullptr) + 30 * kDay;
  CHECK(next >= wall + retry - 10);
  CHECK(next <= wall + retry + retry / 10 + 10);

  clock.Set(30 * kDay + retry + retry / 10 + 60);
  REQUIRE(WaitUntil([&] { return CredStatus(s, "leaf").attempts == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  CHECK(CredStatus(s, "leaf").attempts == 2);

  // Back to the real time: the next retry is within one retry interval of now, not 30 days away;
  // the CA is valid again there, so the renewal succeeds.
  clock.Set(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto back = CredStatus(s, "leaf");
  CHECK(back.attempts == 2);
  next = MUST(edgesec::x509::ParseRfc3339(back.next_renewal));
  CHECK(next <= std::time(nullptr) + retry + retry / 10 + 10);
  clock.Set(retry + retry / 10 + 60);
  auto renewed = WaitForState(s, "leaf", "valid", leaf0);
  CHECK(renewed.attempts == 0);
  CHECK(renewed.last_error.empty());
  std::string leaf1 = MUST(s.client->Get("leaf"));
  CHECK(CertMatchesKey(s, leaf1, renewed.key_id));
  RunResult verify = OpensslVerify(s, MUST(s.client->Get("short-ca")), leaf1,
                                   std::time(nullptr) + retry + retry / 10 + 120);
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
}

TEST_CASE("edgectl cert renew returns after the commit and cert list shows state, next renewal and last error") {
  CertdStack s(R"(
[renewal]
tick = "1s"
[[credential]]
cert_id = "dev"
method = "local_ca"
issuer_cert = "nowhere"
[[credential]]
cert_id = "long"
method = "self_signed"
threshold = "400d"
)");
  WaitForState(s, "edge-ca", "valid");
  // A threshold longer than the cert's lifetime is the credential's lastError (80% applies).
  auto long_st = WaitForState(s, "long", "valid");
  CHECK_THAT(long_st.last_error, Catch::Contains("threshold '400d' is longer than the lifetime"));
  CHECK(long_st.attempts == 0);
  std::string before = MUST(s.client->Get("edge-ca"));
  RunResult renew = Edgectl(s, {"cert", "renew", "edge-ca", "--keep-key", "--json"});
  INFO(renew.out << renew.err);
  REQUIRE(renew.exit_code == 0);
  Json renewed = Json::parse(renew.out);
  CHECK(renewed["pem"] == MUST(s.client->Get("edge-ca")));
  CHECK(renewed["pem"] != before);
  CHECK(CredStatus(s, "edge-ca").key_id == "edge-ca");
  CHECK(Edgectl(s, {"cert", "renew", "edge-ca", "--keep-key", "--rotate-key"}).exit_code == 2);
  RunResult bad = Edgectl(s, {"cert", "renew", "dev"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("'nowhere' is not in the store"));

  RunResult list = Edgectl(s, {"cert", "list", "--json"});
  REQUIRE(list.exit_code == 0);
  Json certs = Json::parse(list.out)["certificates"];
  std::map<std::string, Json> by_id;
  for (const Json& c : certs) by_id[c["certId"]] = c;
  REQUIRE(by_id.count("edge-ca"));
  CHECK(by_id["edge-ca"]["state"] == "valid");
  CHECK(by_id["edge-ca"]["nextRenewal"].is_string());
  REQUIRE(by_id.count("dev"));
  CHECK(by_id["dev"]["state"] == "missing");
  CHECK(by_id["dev"]["attempts"].get<int>() >= 1);
  CHECK_THAT(by_id["dev"]["lastError"].get<std::string>(), Catch::Contains("nowhere"));
  RunResult text = Edgectl(s, {"cert", "list"});
  CHECK_THAT(text.out, Catch::Contains("NEXT RENEWAL") && Catch::Contains("renewal errors:") &&
                           Catch::Contains("dev: renewal failed"));
  // reenroll keeps working for est credentials and says so for the others
  CHECK(Edgectl(s, {"cert", "reenroll", "edge-ca"}).exit_code == 0);
}

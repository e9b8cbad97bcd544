// The contract identityd builds on: the quickstart Edge CA issued at start (openssl-checked
// extensions), module certs issued with the Edge CA's recorded key (no handle), notAfter and store
// = false, credentials issued without a CSR, issuer checks (key, expiry), the credential routes
// and GET /events.
#include <atomic>
#include <filesystem>
#include <optional>

#include "tests/integration/certd_renewal_support.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

certd::api::CreateCertRequest ModuleRequest(const std::string& id, const std::string& csr) {
  certd::api::CreateCertRequest r;
  r.cert_id = id;
  r.csr = csr;
  r.issuer = certd::api::Issuer{"edge-ca", ""};
  r.profile = "module-server";
  return r;
}

}  // namespace

TEST_CASE("the quickstart Edge CA is issued at start with critical CA:TRUE pathlen:0 and critical keyUsage") {
  CertdStack s("hostname = \"gw1.example\"\n");
  auto st = WaitForState(s, "edge-ca", "valid");
  CHECK(st.key_id == "edge-ca");
  CHECK(st.method == "self_signed");
  CHECK(st.auto_renew);
  CHECK_FALSE(st.next_renewal.empty());
  CHECK_FALSE(st.not_after.empty());
  std::string pem = MUST(s.client->Get("edge-ca"));
  CHECK(CertMatchesKey(s, pem, "edge-ca"));
  std::string text = OpensslText(s, pem);
  CHECK_THAT(text, Catch::Contains("Subject: CN = edgesec Edge CA gw1.example"));
  CHECK_THAT(text, Catch::Contains("X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0"));
  CHECK_THAT(text, Catch::Contains("X509v3 Key Usage: critical\n                Digital Signature, Certificate Sign"));
  CHECK(NotAfterOf(pem) - std::time(nullptr) > 89 * 86400);
  CHECK(NotAfterOf(pem) - std::time(nullptr) <= 90 * 86400);
  CHECK(OpensslVerify(s, pem, pem).exit_code == 0);
}

TEST_CASE("a module server cert from the Edge CA without a key handle: EKU, SANs, notAfter, store = false") {
  CertdStack s;
  WaitForState(s, "edge-ca", "valid");
  std::string ca = MUST(s.client->Get("edge-ca"));
  EvpPkeyPtr key = GenerateKey("ec-p256");
  auto r = ModuleRequest("edgehub-server", MakeCsr(key.get(), "edgehub"));
  int64_t want = std::time(nullptr) + 2 * 86400;
  r.not_after = edgesec::x509::Rfc3339(want);
  r.store = false;
  std::string pem = MUST(s.client->Issue(r));
  CHECK(MustFail(s.client->Get("edgehub-server")).kind == ErrorKind::kNotFound);
  RunResult verify = OpensslVerify(s, ca, pem);
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  std::string text = OpensslText(s, pem);
  CHECK_THAT(text, Catch::Contains("TLS Web Server Authentication"));
  CHECK_THAT(text, Catch::Contains("DNS:edgehub.example"));
  CHECK_THAT(text, Catch::Contains("CA:FALSE"));
  CHECK(NotAfterOf(pem) == want);

  // A notAfter beyond the Edge CA's is capped at it (the default profile's 365 days too); stored
  // by default. module-client has clientAuth and the profile's 30 days.
  auto later = ModuleRequest("long", MakeCsr(key.get(), "long"));
  later.profile = "default";
  later.not_after = "2099-01-01T00:00:00Z";
  std::string long_pem = MUST(s.client->Issue(later));
  CHECK(NotAfterOf(long_pem) == NotAfterOf(ca));
  CHECK(MUST(s.client->Get("long")) == long_pem);
  auto client = ModuleRequest("mod-client", MakeCsr(key.get(), "mod"));
  client.profile = "module-client";
  std::string client_pem = MUST(s.client->Issue(client));
  CHECK_THAT(OpensslText(s, client_pem), Catch::Contains("TLS Web Client Authentication"));
  CHECK(NotAfterOf(client_pem) - std::time(nullptr) <= 30 * 86400);
  CHECK(NotAfterOf(client_pem) - std::time(nullptr) > 29 * 86400);
  CHECK_THAT(MustFail(s.client->Issue([&] {
               auto bad = ModuleRequest("x", MakeCsr(key.get(), "x"));
               bad.not_after = "tomorrow";
               return bad;
             }()))
                 .message,
             Catch::Contains("notAfter"));
}

TEST_CASE("credentials of every local method are issued without a CSR: certd makes the key and the CSR") {
  CertdStack s(R"(
[[credential]]
cert_id = "web"
method = "self_signed"
common_name = "web.local"
sans = ["DNS:web.local", "IP:10.1.2.3"]
algorithm = "ec-p384"
auto_renew = false
[[credential]]
cert_id = "device"
key_id = "device-key"
method = "local_ca"
issuer_cert = "edge-ca"
profile = "module-client"
auto_renew = false
[credential.subject]
CN = "device-1"
O = "Example"
)");
  WaitForState(s, "edge-ca", "valid");
  CHECK(CredStatus(s, "web").state == "missing");
  certd::api::CreateCertRequest web;
  web.cert_id = "web";
  std::string web_pem = MUST(s.client->Issue(web));
  CHECK(CertMatchesKey(s, web_pem, "web"));
  std::string text = OpensslText(s, web_pem);
  CHECK_THAT(text, Catch::Contains("CN = web.local") && Catch::Contains("DNS:web.local") &&
                       Catch::Contains("IP Address:10.1.2.3") && Catch::Contains("384 bit"));
  certd::api::CreateCertRequest device;
  device.cert_id = "device";
  std::string device_pem = MUST(s.client->Issue(device));
  CHECK(CertMatchesKey(s, device_pem, "device-key"));
  CHECK(OpensslVerify(s, MUST(s.client->Get("edge-ca")), device_pem).exit_code == 0);
  CHECK_THAT(OpensslText(s, device_pem), Catch::Contains("O = Example"));
  auto st = CredStatus(s, "device");
  CHECK(st.state == "valid");
  CHECK(st.key_id == "device-key");
  CHECK(st.method == "local_ca");
  CHECK_FALSE(st.auto_renew);
  CHECK(st.next_renewal.empty());
  // Without a CSR and without a credential, certd cannot know the subject.
  certd::api::CreateCertRequest none;
  none.cert_id = "nobody";
  none.issuer = certd::api::Issuer{"edge-ca", ""};
  CHECK_THAT(MustFail(s.client->Issue(none)).message, Catch::Contains("missing parameter 'csr'"));
}

TEST_CASE("an issuer key that does not match and an expired issuer are refused with 400 saying why") {
  TestClock clock;
  CertdStack s(R"(
[edge_ca]
quickstart = false
[profiles.short-ca]
ca = true
validity_days = 1
key_usage = ["keyCertSign", "digitalSignature"]
[[credential]]
cert_id = "short-ca"
method = "self_signed"
profile = "short-ca"
auto_renew = false
)");
  certd::api::CreateCertRequest ca_req;
  ca_req.cert_id = "short-ca";
  MUST(s.client->Issue(ca_req));
  EvpPkeyPtr key = GenerateKey("ec-p256");
  std::string other = MUST(s.keyd_client->CreateKeyPairIfNotExists("other"));
  certd::api::CreateCertRequest r;
  r.cert_id = "leaf";
  r.csr = MakeCsr(key.get(), "leaf");
  r.issuer = certd::api::Issuer{"short-ca", other};
  Error e = MustFail(s.client->Issue(r));
  CHECK(e.kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(e.message, Catch::Contains("key does not match"));
  r.issuer = certd::api::Issuer{"short-ca", ""};
  MUST(s.client->Issue(r));
  clock.Set(2 * 86400);
  e = MustFail(s.client->Issue(r));
  CHECK(e.kind == ErrorKind::kInvalidParameter);
  CHECK_THAT(e.message, Catch::Contains("issuer certificate 'short-ca' expired at ") &&
                            Catch::Contains("; renew it first"));
  CHECK(CredStatus(s, "short-ca").state == "expired");
}

TEST_CASE("renew now works for self_signed credentials and the key id follows the rotation") {
  CertdStack s;
  WaitForState(s, "edge-ca", "valid");
  std::string before = MUST(s.client->Get("edge-ca"));
  std::string after = MUST(s.client->Renew("edge-ca"));
  CHECK(after != before);
  CHECK(MUST(s.client->Get("edge-ca")) == after);
  auto st = CredStatus(s, "edge-ca");
  CHECK(st.key_id == "edge-ca-v2");
  CHECK(CertMatchesKey(s, after, "edge-ca-v2"));
  CHECK_FALSE(KeyExists(s, "edge-ca"));
  std::string kept = MUST(s.client->Renew("edge-ca", false));
  CHECK(CredStatus(s, "edge-ca").key_id == "edge-ca-v2");
  CHECK(CertMatchesKey(s, kept, "edge-ca-v2"));
  auto all = MUST(s.client->ListCredentials());
  REQUIRE(all.size() == 1);
  CHECK(all[0].cert_id == "edge-ca");
  CHECK(all[0].attempts == 0);
  CHECK_FALSE(all[0].last_attempt.empty());
  CHECK(MustFail(s.client->GetCredential("nope")).kind == ErrorKind::kNotFound);
}

TEST_CASE("GET /events returns the changed cert ids, long-polls, and says reset to a consumer of another process") {
  CertdStack s;
  WaitForState(s, "edge-ca", "valid");
  auto now = MUST(s.client->WaitEvents(0, 1));
  CHECK(now.seq >= 2);  // the Edge CA's issuance
  CHECK_FALSE(now.reset);
  auto idle = MUST(s.client->WaitEvents(now.seq, 1));
  CHECK(idle.seq == now.seq);
  CHECK(idle.changed.empty());
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EvpPkeyPtr key = GenerateKey("ec-p256");
    MUST(s.client->Import("imported", Pem(MakeCert({.cn = "imported", .key = key.get()}).get())));
  });
  auto t0 = std::chrono::steady_clock::now();
  auto changed = MUST(s.client->WaitEvents(now.seq, 10));
  later.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(changed.seq == now.seq + 1);
  CHECK(changed.changed == std::vector<std::string>{"imported"});
  MUST(s.client->Delete("imported"));
  auto deleted = MUST(s.client->WaitEvents(changed.seq, 1));
  CHECK(deleted.changed == std::vector<std::string>{"imported"});
  auto reset = MUST(s.client->WaitEvents(deleted.seq + 1000, 1));
  CHECK(reset.reset);
  CHECK(reset.changed.empty());
  CHECK(reset.seq == deleted.seq);
  CurlReply raw = Curl(s.certd_socket(), "GET", "/events?api-version=2020-09-01&since=" +
                                                     std::to_string(deleted.seq) + "&timeout=1");
  CHECK(raw.status == 200);
  CHECK(raw.json["seq"] == deleted.seq);
}

TEST_CASE("GET /events?timeout=0 waits for a change with no time limit, and certd's stop ends the wait") {
  CertdStack s;
  WaitForState(s, "edge-ca", "valid");
  uint64_t seq = MUST(s.client->WaitEvents(0, 0)).seq;  // since=0 answers at once, whatever the timeout
  std::atomic<bool> answered{false};
  std::optional<Expected<certd::api::EventsResponse>> changed;
  std::thread waiter([&] {
    changed = s.client->WaitEvents(seq, 0);
    answered = true;
  });
  // Nothing changes: still waiting after a while (timeout=0 used to answer at once).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK_FALSE(answered);
  EvpPkeyPtr key = GenerateKey("ec-p256");
  MUST(s.client->Import("imported", Pem(MakeCert({.cn = "imported", .key = key.get()}).get())));
  waiter.join();
  REQUIRE(changed->has_value());
  CHECK((*changed)->seq == seq + 1);
  CHECK((*changed)->changed == std::vector<std::string>{"imported"});

  // A wait in progress when certd stops ends (an empty answer or a closed connection), and certd
  // exits 0 instead of hanging in it.
  auto threads = [&] {
    std::string task = "/proc/" + std::to_string(s.certd->pid()) + "/task";
    auto it = std::filesystem::directory_iterator(task);
    return std::distance(begin(it), end(it));
  };
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the first wait's thread has ended
  auto before = threads();
  std::optional<Expected<certd::api::EventsResponse>> at_stop;
  std::thread stopping([&] { at_stop = s.client->WaitEvents(seq + 1, 0); });
  // The wait has reached certd when its connection thread is there.
  CHECK(WaitUntil([&] { return threads() > before; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int status = s.certd->Stop();
  stopping.join();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(at_stop.has_value());
  if (at_stop->has_value()) CHECK((*at_stop)->changed.empty());
}

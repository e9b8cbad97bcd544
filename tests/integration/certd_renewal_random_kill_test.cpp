// Kills at random moments, not only at the pause points: for each renewal method (self_signed,
// local_ca, est) certd is SIGKILLed EDGESEC_RANDOM_KILLS times (default 20) at a random delay into
// a `cert renew` (0 to 1.5 times a measured renewal), then restarted. After every restart: the
// stored cert is the cert of the key its record names (keyd's public key == the cert's SPKI), its
// chain verifies against its issuer (the cert itself, the Edge CA, the EST root), and keyd holds at
// most 1 + (renewals killed since the last one that completed) keys of the credential. After a
// renewal that completes, exactly one remains: orphaned <key>-vN keys are collected, never left
// forever. The seed is printed; EDGESEC_TEST_SEED replays one run.
#include <sys/stat.h>

#include <algorithm>
#include <future>
#include <random>

#include "tests/integration/certd_renewal_support.hpp"
#include "tests/support/est_server.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

int KillsPerMethod() {
  const char* n = std::getenv("EDGESEC_RANDOM_KILLS");
  return n != nullptr ? std::atoi(n) : 20;
}

uint32_t Seed() {
  const char* s = std::getenv("EDGESEC_TEST_SEED");
  uint32_t seed =
      s != nullptr ? static_cast<uint32_t>(std::strtoul(s, nullptr, 10)) : std::random_device{}();
  std::printf("EDGESEC_TEST_SEED=%u\n", seed);
  std::fflush(stdout);
  return seed;
}

// keyd's key pairs of a credential whose base key id is `base`: base and base-v<digits>.
std::vector<std::string> KeysOf(CertdStack& s, const std::string& base) {
  std::vector<std::string> out;
  for (const auto& k : MUST(s.keyd_client->ListKeyPairs())) {
    const std::string& id = k.key_id;
    if (id == base) out.push_back(id);
    if (id.rfind(base + "-v", 0) != 0 || id.size() == base.size() + 2) continue;
    if (id.find_first_not_of("0123456789", base.size() + 2) == std::string::npos) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// The consistency every restart must show. `issuer_pem`: empty for a self-signed cert.
void CheckConsistent(CertdStack& s, const std::string& id, const std::string& base,
                     const std::string& issuer_pem, size_t max_keys) {
  std::string pem = MUST(s.client->Get(id));
  std::string key_id = CredStatus(s, id).key_id;
  INFO("cert '" << id << "' names key '" << key_id << "'");
  CHECK(CertMatchesKey(s, pem, key_id));
  RunResult verify = OpensslVerify(s, issuer_pem.empty() ? pem : issuer_pem, pem);
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  auto keys = KeysOf(s, base);
  INFO("keys of '" << base << "': " << Joined(keys));
  CHECK(keys.size() <= max_keys);
  CHECK(std::find(keys.begin(), keys.end(), key_id) != keys.end());
}

struct RandomKills {
  CertdStack& s;
  std::string id, base;
  std::function<std::string()> issuer_pem;  // the issuer's current cert, "" when self-signed

  // One renewal that is not killed; its duration.
  std::chrono::milliseconds TimedRenewal() {
    auto start = std::chrono::steady_clock::now();
    MUST(s.client->Renew(id));
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }

  void Run(uint32_t seed) {
    std::mt19937 rng(seed);
    auto typical = std::max(TimedRenewal(), TimedRenewal());
    std::uniform_int_distribution<int> delay_us(0, static_cast<int>(typical.count()) * 1500 + 1000);
    int interrupted = 0;
    size_t since_complete = 0;  // killed renewals since the last one that answered
    for (int i = 0; i < KillsPerMethod(); ++i) {
      int us = delay_us(rng);
      INFO("kill " << i << " after " << us << " us (a renewal takes ~" << typical.count()
                   << " ms)");
      std::string socket = s.certd_socket();
      auto renew = std::async(std::launch::async, [socket, this] {
        return certd::CertdClient(socket).Renew(id).has_value();
      });
      std::this_thread::sleep_for(std::chrono::microseconds(us));
      s.certd->Kill();
      bool completed = renew.get();
      interrupted += completed ? 0 : 1;
      since_complete = completed ? 0 : since_complete + 1;
      s.StartCertd();
      // Each killed renewal leaves at most one key more: the new key it made (reused by the next
      // one), or the replaced key when the kill came after the commit (collected by the next one
      // that completes).
      CheckConsistent(s, id, base, issuer_pem(), 1 + since_complete);
    }
    std::printf("%s: %d of %d renewals interrupted (a renewal takes ~%lld ms)\n", id.c_str(),
                interrupted, KillsPerMethod(), static_cast<long long>(typical.count()));
    std::fflush(stdout);
    MUST(s.client->Renew(id));
    CheckConsistent(s, id, base, issuer_pem(), 1);
  }
};

}  // namespace

TEST_CASE("random kills during self_signed renewals leave a consistent pair and no orphan keys") {
  CertdStack s(
      "[edge_ca]\nquickstart = false\n[[credential]]\ncert_id = \"dev\"\n"
      "method = \"self_signed\"\ncommon_name = \"dev.local\"\n");
  WaitForState(s, "dev", "valid");
  RandomKills{s, "dev", "dev", [] { return std::string(); }}.Run(Seed());
}

TEST_CASE("random kills during local_ca renewals leave a consistent pair issued by the Edge CA") {
  CertdStack s(
      "[[credential]]\ncert_id = \"device\"\nkey_id = \"device-key\"\n"
      "method = \"local_ca\"\nissuer_cert = \"edge-ca\"\nprofile = \"module-client\"\n"
      "[credential.subject]\nCN = \"device-1\"\n");
  WaitForState(s, "edge-ca", "valid");
  WaitForState(s, "device", "valid");
  RandomKills{s, "device", "device-key", [&s] { return MUST(s.client->Get("edge-ca")); }}.Run(
      Seed());
}

TEST_CASE(
    "random kills during EST re-enrollments leave a consistent pair chained to the EST root") {
  EstServer est;
  CertdStack s("[edge_ca]\nquickstart = false\n[est]\nurl = \"" + est.BaseUrl() +
               "\"\ntrusted_certs = [\"" + est.RootPem() +
               "\"]\n[[credential]]\ncert_id = \"device\"\nmethod = \"est\"\n");
  WaitForState(s, "device", "valid");
  std::string root = ReadTextFile(est.RootPem());
  RandomKills{s, "device", "device", [root] { return root; }}.Run(Seed());
}

// The orphan the random kills can hit only by luck, made on purpose: a kill between the commit and
// the deletion of the replaced key leaves that key named by no record. The next renewal collects
// it.
TEST_CASE("a key orphaned by a kill after the commit is collected by the next renewal") {
  std::optional<ScopedEnv> pause(std::in_place, "EDGESEC_TEST_PAUSE", "after-commit");
  CertdStack s(
      "[edge_ca]\nquickstart = false\n[[credential]]\ncert_id = \"dev\"\n"
      "method = \"self_signed\"\ncommon_name = \"dev.local\"\n");
  WaitForState(s, "dev", "valid");
  std::string socket = s.certd_socket();
  auto renew =
      std::async(std::launch::async, [socket] { return certd::CertdClient(socket).Renew("dev"); });
  std::string marker = s.dir.path() + "/var/lib/edgesec/certd/paused-after-commit";
  REQUIRE(WaitUntil([&] {
    struct stat st {};
    return ::stat(marker.c_str(), &st) == 0;
  }));
  s.certd->Kill();
  (void)renew.get();
  ::unlink(marker.c_str());
  pause.reset();
  s.StartCertd();
  CHECK(CredStatus(s, "dev").key_id == "dev-v2");
  CHECK(KeysOf(s, "dev") == std::vector<std::string>{"dev", "dev-v2"});  // 'dev' is the orphan

  MUST(s.client->Renew("dev"));
  CHECK(CredStatus(s, "dev").key_id == "dev-v3");
  CHECK(KeysOf(s, "dev") == std::vector<std::string>{"dev-v3"});
  CHECK(CertMatchesKey(s, MUST(s.client->Get("dev")), "dev-v3"));
}

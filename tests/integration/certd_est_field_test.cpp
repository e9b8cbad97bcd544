// certd + edgectl against EST servers as met in the field (issue 11, 7a/c/f), with the project's EST
// test server (tests/est/est_server.py): a 202 + Retry-After longer than edgectl's base timeout
// (edgectl waits the credential's max_wait on top, else says "still pending" and exits 3, never
// "cannot reach"); a CA credential issued as CA:FALSE is refused and the old CA keeps issuing; a
// failed first enrollment is logged as such; after a re-enrollment the next /cacerts presents the
// new cert. certd's log is its stderr, captured into a file for the duration of a test.
#include <fcntl.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "common/fs.hpp"
#include "common/x509/pem.hpp"
#include "tests/integration/certd_harness.hpp"
#include "tests/support/est_server.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

// The daemons started while it lives write their stderr (the log) to a file.
struct CapturedStderr {
  TempDir dir;
  std::string path = dir.path() + "/stderr.log";
  int saved = ::dup(2);
  CapturedStderr() {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~CapturedStderr() {
    ::dup2(saved, 2);
    ::close(saved);
  }
  std::string Text() const { return MUST(fs::ReadFile(path)); }
};

RunResult Edgectl(CertdStack& s, std::vector<std::string> args) {
  args.insert(args.begin(), BinaryFromEnv("EDGESEC_EDGECTL"));
  args.push_back("--root");
  args.push_back(s.dir.path());
  return Run(args);
}

std::string EstSection(const EstServer& est, const std::string& extra = "", const EstServer* other = nullptr) {
  std::string trusted = "\"" + est.RootPem() + "\"" + (other ? ", \"" + other->RootPem() + "\"" : "");
  return "[est]\nurl = \"" + est.BaseUrl() + "\"\ntrusted_certs = [" + trusted + "]\n" + extra +
         "\n[edge_ca]\nquickstart = false\n";
}

std::string Credential(const std::string& id, const std::string& extra = "") {
  return "\n[[credential]]\ncert_id = \"" + id + "\"\nmethod = \"est\"\ncommon_name = \"" + id +
         "-cn\"\nauto_renew = false\n" + extra;
}

edgesec::x509::Chain ChainOf(const std::string& pem) {
  return MUST(edgesec::x509::ParsePemChain(pem));
}

// The leaf's serial as the EST test server logs it ("client_serial": uppercase hex).
std::string SerialHex(const std::string& pem) {
  UniquePtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(ChainOf(pem).front().get()), nullptr));
  REQUIRE(bn);
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex;
  OPENSSL_free(hex);
  return out.substr(std::min(out.find_first_not_of('0'), out.size() - 1));
}

bool WaitUntil(const std::function<bool()>& done, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

double SecondsOf(const std::function<void()>& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("202 + Retry-After beyond edgectl's --timeout: edgectl waits the credential's max_wait on top") {
  EstServer est({"--mode", "pending", "--mode-ops", "simplereenroll", "--pending", "1", "--retry-after", "3"});
  CertdStack s(EstSection(est, "max_wait = \"20s\"\n") + Credential("device"));
  REQUIRE(Edgectl(s, {"cert", "enroll", "device"}).exit_code == 0);
  std::string old_pem = MUST(s.client->Get("device"));
  CHECK(MUST(s.client->GetCredential("device")).max_wait_seconds == 20);  // edgesec: maxWait
  RunResult r;
  double took = SecondsOf([&] { r = Edgectl(s, {"--timeout", "2", "cert", "reenroll", "device"}); });
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);  // 2 s + 20 s of max_wait; a fixed 2 s would have given up at 2 s
  CHECK(took >= 3);
  CHECK_THAT(r.out, Catch::Contains("re-enrolled cert 'device'"));
  CHECK(MUST(s.client->Get("device")) != old_pem);
}

TEST_CASE("certd still at it after --timeout + max_wait: 'still pending', exit 3, never 'cannot reach'") {
  EstServer est({"--mode", "slow", "--mode-ops", "simplereenroll", "--slow", "5"});
  CertdStack s(EstSection(est, "max_wait = \"1s\"\n") + Credential("device"));
  REQUIRE(Edgectl(s, {"cert", "enroll", "device"}).exit_code == 0);
  std::string old_pem = MUST(s.client->Get("device"));
  RunResult r;
  double took = SecondsOf([&] { r = Edgectl(s, {"--timeout", "1", "cert", "renew", "device"}); });
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK(took < 4.5);  // 1 s + 1 s of max_wait (and start-up), not the server's 5 s
  CHECK_THAT(r.err, Catch::Contains("renewing cert 'device': still pending (no answer from '") &&
                        Catch::Contains("within 2 s") && Catch::Contains("see `edgectl cert list`"));
  CHECK_THAT(r.err, !Catch::Contains("cannot reach"));
  // certd went on: the new cert arrives without edgectl.
  CHECK(WaitUntil([&] { return MUST(s.client->Get("device")) != old_pem; }, 15));
  CHECK(Edgectl(s, {"--timeout", "0", "cert", "list"}).exit_code == 2);
  CHECK(Edgectl(s, {"cert", "renew", "--help"}).out.find("3 when certd is still at it") != std::string::npos);
}

TEST_CASE("a CA credential enrolled as CA:FALSE is refused saying why; the old Edge CA stays and keeps issuing") {
  CapturedStderr log;
  EstServer est({"--issue-ca", "--fault-ca-false-on-reenroll"});
  EstServer leaves;  // issues CA:FALSE leaves to everything
  CertdStack s(EstSection(est, "", &leaves) + Credential("edge-ca") +
               Credential("sub-ca", "profile = \"ca\"\nurl = \"" + leaves.BaseUrl() + "\"\n"));
  RunResult enrolled = Edgectl(s, {"cert", "enroll", "edge-ca"});
  INFO(enrolled.out << enrolled.err);
  REQUIRE(enrolled.exit_code == 0);
  std::string ca_pem = MUST(s.client->Get("edge-ca"));
  auto issue_leaf = [&](const std::string& id) {
    EvpPkeyPtr key = GenerateKey("ec-p256");
    std::string pem = MUST(s.client->Issue({id, MakeCsr(key.get(), id), certd::api::Issuer{"edge-ca", ""}, std::nullopt}));
    X509Ptr ca = std::move(ChainOf(ca_pem).front());
    CHECK(X509_verify(ChainOf(pem).front().get(), X509_get0_pubkey(ca.get())) == 1);
  };
  issue_leaf("module-1");

  RunResult refused = Edgectl(s, {"cert", "reenroll", "edge-ca"});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("the EST server issued cert 'edge-ca' as a certificate that cannot issue") &&
                              Catch::Contains("lacks basicConstraints CA:TRUE") &&
                              Catch::Contains("must be a CA because it is the Edge CA"));
  CHECK(MUST(s.client->Get("edge-ca")) == ca_pem);  // the old CA stays
  issue_leaf("module-2");                            // and keeps issuing
  CHECK_THAT(log.Text(), Catch::Contains("certd: the EST server issued cert 'edge-ca' as a certificate that cannot issue"));

  // A credential with a CA profile, first enrollment: refused, nothing stored.
  RunResult sub = Edgectl(s, {"cert", "enroll", "sub-ca"});
  INFO(sub.out << sub.err);
  CHECK(sub.exit_code == 1);
  CHECK_THAT(sub.err, Catch::Contains("lacks basicConstraints CA:TRUE") && Catch::Contains("it issues other certs"));
  CHECK(MustFail(s.client->Get("sub-ca")).kind == ErrorKind::kNotFound);
}

TEST_CASE("a failed first enrollment is logged as one, with no current cert to keep") {
  CapturedStderr log;
  EstServer est({"--mode", "error500"});
  CertdStack s(EstSection(est) + Credential("device"));
  auto failed = s.client->Renew("device");
  REQUIRE_FALSE(failed);
  CHECK(WaitUntil([&] { return log.Text().find("'device' failed") != std::string::npos; }, 5));
  std::string text = log.Text();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("certd: the first enrollment of cert 'device' failed (attempt 1), there is no "
                                   "cert yet; next attempt at "));
  CHECK_THAT(text, !Catch::Contains("the current cert stays in use"));
}

TEST_CASE("after a re-enrollment the next /cacerts presents the new cert, not the replaced one") {
  EstServer est;
  CertdStack s(EstSection(est) + Credential("device"));
  REQUIRE(Edgectl(s, {"cert", "enroll", "device"}).exit_code == 0);
  std::string old_pem = MUST(s.client->Get("device"));
  RunResult r = Edgectl(s, {"cert", "reenroll", "device"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string new_pem = MUST(s.client->Get("device"));
  // A later operation: certd fetches /cacerts before /simplereenroll (a server that revokes at
  // issuance refuses the old cert), so the next /cacerts is this one's.
  RunResult again = Edgectl(s, {"cert", "reenroll", "device"});
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  std::vector<Json> log;
  for (const auto& line : est.Requests()) log.push_back(Json::parse(line));
  size_t at = log.size();
  for (size_t i = 0; i < log.size() && at == log.size(); ++i)  // the first re-enrollment
    if (log[i]["path"].get<std::string>().find("simplereenroll") != std::string::npos) at = i;
  REQUIRE(at < log.size());
  CHECK(log[at]["client_serial"] == SerialHex(old_pem));
  bool cacerts_after = false;
  for (size_t i = at + 1; i < log.size(); ++i) {
    if (log[i]["path"].get<std::string>().find("cacerts") == std::string::npos) continue;
    cacerts_after = true;
    INFO("request " << i << ": " << log[i].dump());
    CHECK(log[i]["client_serial"] == SerialHex(new_pem));
    break;  // the next one; later ones belong to the second re-enrollment's own new cert
  }
  CHECK(cacerts_after);
}

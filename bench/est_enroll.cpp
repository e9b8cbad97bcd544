// est-enroll: EST enrollments per second against the project's test EST server
// (tests/est/est_server.py, started like tests/support/est_server.* does it), two ways in one run:
//   1. certd's EST client library: a fresh EC P-256 key and CSR (est::GenerateKeyFor +
//   est::BuildCsr),
//      EstClient::SimpleEnroll, the certificate decoded from the PKCS#7 — the baseline;
//   2. the shell way: `openssl req` makes the key and CSR, `curl --data-binary` posts it to
//      /simpleenroll, `tr -d` + `base64 -d` undo the CRLF-wrapped base64 (coreutils refuses CR) and
//      `openssl pkcs7 -print_certs` decodes the answer (one bash pipeline per enrollment).
// Both trust only the server's root. The server is single-threaded Python, so both figures include
// its own cost; the ratio says what the client side adds.
//
//   est-enroll   (needs python3 with python3-cryptography, curl and openssl)
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "certd/est/est_client.hpp"
#include "tests/support/est_server.hpp"

using namespace edgesec;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kWarmUp = std::chrono::milliseconds(500);
constexpr auto kMeasure = std::chrono::seconds(4);

int Fail(const std::string& what) {
  std::fprintf(stderr, "est-enroll: %s\n", what.c_str());
  return 1;
}

double Rate(const std::function<bool()>& op) {
  Clock::time_point from = Clock::now() + kWarmUp, until = from + kMeasure;
  long done = 0;
  for (Clock::time_point now = Clock::now(); now < until; now = Clock::now()) {
    if (!op()) return -1;
    if (now >= from) ++done;
  }
  return static_cast<double>(done) / std::chrono::duration<double>(kMeasure).count();
}

bool EnrollWithLibrary(certd::est::EstClient& client, int n) {
  auto key = certd::est::GenerateKeyFor(nullptr);
  if (!key) return false;
  certd::est::CsrSpec spec;
  spec.subject = {{"CN", "bench-" + std::to_string(n)}};
  spec.key = key->get();
  auto csr = certd::est::BuildCsr(spec);
  if (!csr) return false;
  auto result = client.SimpleEnroll(csr->get());
  if (!result)
    std::fprintf(stderr, "est-enroll: SimpleEnroll: %s\n", result.error().Describe().c_str());
  return result && result->cert != nullptr;
}

// The pipeline a person would write; exit status 0 and a certificate in cert.pem count as success.
bool EnrollWithShell(const std::string& script, const std::string& cert_path) {
  ::unlink(cert_path.c_str());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("bash", "bash", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    return false;
  std::ifstream in(cert_path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str().find("BEGIN CERTIFICATE") != std::string::npos;
}

}  // namespace

int main() {
  if (std::getenv("EDGESEC_SOURCE_ROOT") == nullptr)
    ::setenv("EDGESEC_SOURCE_ROOT", EDGESEC_BENCH_SOURCE_ROOT, 1);
  try {
    testing::EstServer server;
    std::printf(
        "est-enroll: /simpleenroll against tests/est/est_server.py on %s; EC P-256 keys; %.1f s "
        "warm-up, "
        "%.1f s per figure; %u CPUs\n",
        server.BaseUrl().c_str(), std::chrono::duration<double>(kWarmUp).count(),
        std::chrono::duration<double>(kMeasure).count(), std::thread::hardware_concurrency());

    certd::est::EstConfig config;
    config.base_url = server.BaseUrl();
    config.trusted_certs = {server.RootPem()};
    auto client = certd::est::EstClient::Create(std::move(config));
    if (!client) return Fail(client.error().Describe());
    int n = 0;
    double library = Rate([&] { return EnrollWithLibrary(*client, n++); });
    if (library <= 0) return Fail("enrollment with the EST client library failed");

    const std::string d = server.dir();
    const std::string script =
        "set -eo pipefail; cd " + d +
        "; "
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -subj "
        "/CN=bench-shell "
        "-outform DER 2>/dev/null | base64 -w 64 > csr.b64; "
        "curl -sf --cacert root.pem -H 'Content-Type: application/pkcs10' --data-binary @csr.b64 " +
        server.BaseUrl() +
        "/.well-known/est/simpleenroll | tr -d '\\r' | base64 -d | "
        "openssl pkcs7 -inform DER -print_certs -out cert.pem";
    double shell = Rate([&] { return EnrollWithShell(script, d + "/cert.pem"); });
    if (shell <= 0) return Fail("enrollment with curl + openssl failed; try by hand: " + script);

    std::printf("EstClient::SimpleEnroll (library):   %7.1f enrollments/s   (baseline)\n", library);
    std::printf("openssl req + curl + openssl pkcs7:  %7.1f enrollments/s   ratio %.3f\n", shell,
                shell / library);
    std::printf("library / shell:                     %7.2f x\n", library / shell);
    return 0;
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}

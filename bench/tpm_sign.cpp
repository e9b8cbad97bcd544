// tpm-sign: ECDSA P-256 signatures per second with a key in swtpm, the tpm engine used directly
// in-process (its C ABI table, as keyd calls it) versus through keyd (its socket, the client
// library, 1 and 2 clients), and the ratio. swtpm is started here on free ports
// (tests/support/swtpm.hpp). Each signature loads the key blob under the primary, signs and
// flushes: that is the engine's cost.
//
//   tpm-sign [path/to/edgesec-keyd]   (default: $EDGESEC_KEYD, else <build>/edgesec-keyd)
#include <openssl/rand.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "bench/keyd_process.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "keyd/client/keyd_client.hpp"
#include "keyd/engines/tpm/tpm_engine.hpp"
#include "tests/support/swtpm.hpp"

using namespace edgesec;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kWarmUp = std::chrono::milliseconds(500);
constexpr auto kMeasure = std::chrono::seconds(3);

std::string KeydPath(int argc, char** argv) {
  if (argc > 1) return argv[1];
  if (const char* env = std::getenv("EDGESEC_KEYD"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "edgesec-keyd").string();
}

// Signatures per second of `op(thread)` on `threads` threads, after a warm-up; -1 on a failure.
template <class Op>
double Measure(int threads, Op op) {
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  auto from = Clock::now() + kWarmUp, until = from + kMeasure;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      auto state = op.Prepare();
      long mine = 0;
      for (auto now = Clock::now(); now < until; now = Clock::now()) {
        if (!op.Run(state)) {
          failed = true;
          return;
        }
        if (now >= from) ++mine;
      }
      done += mine;
    });
  for (auto& w : workers) w.join();
  return failed ? -1 : static_cast<double>(done) / std::chrono::duration<double>(kMeasure).count();
}

struct EngineSign {
  const edgesec_key_engine* table;
  void* ctx;
  unsigned char digest[32];
  int Prepare() { return 0; }
  bool Run(int) {
    uint8_t sig[80];
    size_t len = sizeof sig;
    edgesec_error err{};
    if (table->sign(ctx, "bench-p256", EDGESEC_MECH_ECDSA, digest, 32, sig, &len, &err) ==
        EDGESEC_OK)
      return true;
    std::fprintf(stderr, "tpm-sign: engine sign failed: %s\n", err.message);
    return false;
  }
};

struct KeydSign {
  std::string socket;
  keyd::api::SignRequest request;
  std::unique_ptr<keyd::KeydClient> Prepare() { return std::make_unique<keyd::KeydClient>(socket); }
  bool Run(std::unique_ptr<keyd::KeydClient>& client) {
    auto sig = client->Sign(request);
    if (!sig)
      std::fprintf(stderr, "tpm-sign: keyd sign failed: %s\n", sig.error().Describe().c_str());
    return sig.has_value();
  }
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "tpm-sign: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string keyd_path = KeydPath(argc, argv);
  if (::access(keyd_path.c_str(), X_OK) != 0) return Fail("no keyd at '" + keyd_path + "'");
  if (!testing::Swtpm::Available()) return Fail("swtpm is not installed (scripts/deps.sh)");
  bench::BenchDir dir;
  testing::Swtpm tpm(dir.path() + "/tpm", false);
  std::printf(
      "tpm-sign: ECDSA P-256 over a SHA-256 digest with a key in swtpm (%s); %.1f s warm-up, %.0f "
      "s per figure; %u CPUs\n",
      tpm.Tcti().c_str(), std::chrono::duration<double>(kWarmUp).count(),
      std::chrono::duration<double>(kMeasure).count(), std::thread::hardware_concurrency());

  // 1. The engine in this process, through its C ABI table.
  const edgesec_key_engine* table = keyd::engines::tpm::Table();
  Json options{{"state_dir", dir.path() + "/inproc"}, {"options", {{"tcti", tpm.Tcti()}}}};
  EngineSign engine{table, nullptr, {}};
  RAND_bytes(engine.digest, sizeof engine.digest);
  edgesec_error err{};
  if (table->open(DumpJson(options).c_str(), &engine.ctx, &err) != EDGESEC_OK)
    return Fail(std::string("open: ") + err.message);
  if (table->generate_key_pair(engine.ctx, "bench-p256", "ec-p256", &err) != EDGESEC_OK)
    return Fail(std::string("generate: ") + err.message);
  double in_process = Measure(1, engine);
  table->close(engine.ctx);
  if (in_process <= 0) return Fail("in-process signing failed");
  std::printf("in-process engine, 1 thread:   %8.1f signatures/s\n", in_process);

  // 2. keyd with the same swtpm, its tpm engine the default.
  std::string root = dir.path() + "/root";
  if (!fs::MakeDirs(root + "/etc/edgesec/keyd", 0755) ||
      !fs::AtomicWriteFile(root + "/etc/edgesec/keyd/config.toml",
                           "default_engine = \"tpm\"\n[tpm]\ntcti = \"" + tpm.Tcti() + "\"\n",
                           0600))
    return Fail("cannot write keyd's config");
  auto keyd = bench::KeydProcess::Start(keyd_path, root);
  if (!keyd)
    return Fail("keyd did not start: " + keyd.error().Describe() + " (see " + root + "/keyd.log)");
  keyd::KeydClient client((*keyd)->socket());
  auto handle = client.CreateKeyPairIfNotExists("bench-p256", std::string("ec-p256"));
  if (!handle) return Fail("create: " + handle.error().Describe());
  KeydSign through{
      (*keyd)->socket(),
      {*handle, keyd::api::SignAlgorithm::kEcdsa, Bytes(engine.digest, engine.digest + 32)}};
  double one = Measure(1, through);
  double two = Measure(2, through);
  if (one <= 0 || two <= 0) return Fail("signing through keyd failed");
  std::printf("through keyd, 1 client:        %8.1f signatures/s\n", one);
  std::printf("through keyd, 2 clients:       %8.1f signatures/s\n", two);
  std::printf("ratio keyd (1 client) / in-process: %.2f\n", one / in_process);
  std::printf("ratio keyd (2 clients) / in-process: %.2f\n", two / in_process);
  return 0;
}

// keyd-sign: ECDSA P-256 signatures per second, raw OpenSSL in-process versus through keyd (1 and 2
// clients over keyd's socket, keep-alive), keyd's memory when idle and after the load, and its start-up
// time (exec → first answered GET /version, exec → READY=1 on NOTIFY_SOCKET). Each figure is measured
// for a fixed time after a warm-up. Prints one line per figure and the goals with PASS/MISS.
//
//   keyd-sign [path/to/edgesec-keyd]   (default: $EDGESEC_KEYD, else <build>/edgesec-keyd)
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/keyd_process.hpp"
#include "common/ossl.hpp"
#include "keyd/client/keyd_client.hpp"
#include "keyd/client/remote_key.hpp"

using namespace edgesec;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kWarmUp = std::chrono::milliseconds(500);
constexpr auto kMeasure = std::chrono::seconds(2);
constexpr int kStarts = 5;

std::string KeydPath(int argc, char** argv) {
  if (argc > 1) return argv[1];
  if (const char* env = std::getenv("EDGESEC_KEYD"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "edgesec-keyd").string();  // <build>/bench/keyd-sign
}

// CPU time (user + system) consumed so far by a process, in microseconds.
double ProcessCpuMicros(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // fields 3..13
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Figure {
  double per_second = -1;
  double cpu_us_keyd = 0;    // per operation, when a keyd pid is given
  double cpu_us_client = 0;  // per operation, this process
};

// Runs `op` on `threads` threads: a warm-up, then counts completed operations for kMeasure, and
// samples the CPU time of this process and of `keyd_pid` over the same window.
template <class Op>
Figure Measure(int threads, Op op, pid_t keyd_pid = -1) {
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  Clock::time_point measure_from = Clock::now() + kWarmUp;
  Clock::time_point until = measure_from + kMeasure;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto state = op.Prepare(t);
      long mine = 0;
      for (;;) {
        auto now = Clock::now();
        if (now >= until) break;
        if (!op.Run(state)) {
          failed = true;
          return;
        }
        if (now >= measure_from) ++mine;
      }
      done += mine;
    });
  }
  std::this_thread::sleep_until(measure_from);
  double self0 = ProcessCpuMicros(::getpid()), keyd0 = keyd_pid > 0 ? ProcessCpuMicros(keyd_pid) : 0;
  std::this_thread::sleep_until(until);
  double self1 = ProcessCpuMicros(::getpid()), keyd1 = keyd_pid > 0 ? ProcessCpuMicros(keyd_pid) : 0;
  for (auto& w : workers) w.join();
  Figure f;
  if (failed || done == 0) return f;
  f.per_second = static_cast<double>(done) / std::chrono::duration<double>(kMeasure).count();
  f.cpu_us_client = (self1 - self0) / static_cast<double>(done);
  f.cpu_us_keyd = (keyd1 - keyd0) / static_cast<double>(done);
  return f;
}

struct RawSign {
  EVP_PKEY* key;
  unsigned char digest[32];
  int Prepare(int) { return 0; }
  // A fresh EVP_PKEY_CTX per signature, as keyd's file engine does.
  bool Run(int) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    unsigned char sig[80];
    size_t len = sizeof sig;
    return ctx && EVP_PKEY_sign_init(ctx.get()) == 1 && EVP_PKEY_sign(ctx.get(), sig, &len, digest, 32) == 1;
  }
};

struct KeydSign {
  std::string socket;
  keyd::api::SignRequest request;
  struct State {
    std::unique_ptr<keyd::KeydClient> client;  // one per thread: its own connection, kept alive
  };
  State Prepare(int) { return State{std::make_unique<keyd::KeydClient>(socket)}; }
  bool Run(State& s) {
    auto sig = s.client->Sign(request);
    if (!sig) std::fprintf(stderr, "keyd-sign: sign failed: %s\n", sig.error().Describe().c_str());
    return sig.has_value();
  }
};

// The same key as an EVP_PKEY of the edgesec OpenSSL provider (what any OpenSSL program gets from
// `edgesec:<keyId>`): EVP_PKEY_sign over the digest, one keyd call inside.
struct ProviderSign {
  EVP_PKEY* key;
  struct State {};
  State Prepare(int) { return {}; }
  bool Run(State&) {
    static const unsigned char digest[32] = {0x5a};
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    unsigned char sig[80];
    size_t len = sizeof sig;
    return ctx && EVP_PKEY_sign_init(ctx.get()) == 1 && EVP_PKEY_sign(ctx.get(), sig, &len, digest, 32) == 1;
  }
};

const char* Verdict(bool pass) { return pass ? "PASS" : "MISS"; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "keyd-sign: %s\n", what.c_str());
  return 1;
}

// kStarts starts of keyd, each on a fresh root; the last one stays up for the load.
struct Starts {
  std::vector<double> ready, version;
  std::unique_ptr<bench::BenchDir> dir;
  std::unique_ptr<bench::KeydProcess> keyd;
};
std::string StartRepeatedly(const std::string& keyd_path, Starts& s) {
  for (int i = 0; i < kStarts; ++i) {
    s.keyd.reset();
    s.dir = std::make_unique<bench::BenchDir>();
    if (s.dir->path().empty()) return "cannot create a temp directory";
    auto started = bench::KeydProcess::Start(keyd_path, s.dir->path());
    if (!started) return started.error().Describe();
    s.keyd = std::move(*started);
    s.ready.push_back(s.keyd->ready_ms());
    s.version.push_back(s.keyd->version_ms());
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string keyd_path = KeydPath(argc, argv);
  if (::access(keyd_path.c_str(), X_OK) != 0) return Fail("no keyd at '" + keyd_path + "' (pass its path as argument)");
  std::printf("keyd-sign: ECDSA P-256 over a SHA-256 digest; %.1f s warm-up, %.1f s per figure; %u CPUs; keyd %s\n",
              std::chrono::duration<double>(kWarmUp).count(), std::chrono::duration<double>(kMeasure).count(),
              std::thread::hardware_concurrency(), keyd_path.c_str());

  // 1. Raw OpenSSL, in this process, one thread (before any thread or child exists).
  RawSign raw{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), {}};
  RAND_bytes(raw.digest, sizeof raw.digest);
  Figure raw_figure = Measure(1, raw);
  EVP_PKEY_free(raw.key);
  double raw_rate = raw_figure.per_second;
  if (raw_rate <= 0) return Fail("raw OpenSSL signing failed");

  // 2. Start-up: kStarts starts, each on a fresh root; the last one stays up for the load.
  Starts starts;
  if (auto failed = StartRepeatedly(keyd_path, starts); !failed.empty()) return Fail(failed);
  auto& [ready, version, root, keyd] = starts;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto idle = bench::ReadMemoryFigures(keyd->pid());
  if (!idle) return Fail(idle.error().Describe());

  // 3. Through keyd.
  keyd::KeydClient admin(keyd->socket());
  auto handle = admin.CreateKeyPairIfNotExists("bench-p256", std::string("ec-p256"));
  if (!handle) return Fail("cannot create the key pair: " + handle.error().Describe());
  KeydSign through{keyd->socket(), {}};
  through.request.key_handle = *handle;
  through.request.algorithm = keyd::api::SignAlgorithm::kEcdsa;
  through.request.data.assign(32, 0x5a);
  Figure one_figure = Measure(1, through, keyd->pid());
  Figure two_figure = Measure(2, through, keyd->pid());
  // Diagnostic: the same single client with keyd and the client on one CPU, so that no request waits
  // for a cross-CPU wake-up of an idle (virtual) CPU: what one signature costs in CPU alone.
  bench::PinProcess(keyd->pid(), 0);
  bench::PinProcess(::getpid(), 0);
  Figure pinned_figure = Measure(1, through, keyd->pid());
  bench::PinProcess(::getpid(), -1);
  bench::PinProcess(keyd->pid(), -1);
  auto provider_key = keyd::LoadRemoteKey(std::make_shared<keyd::KeydClient>(keyd->socket()), *handle);
  if (!provider_key) return Fail("cannot load the key through the provider: " + provider_key.error().Describe());
  ProviderSign via_provider{provider_key->get()};
  Figure provider_figure = Measure(1, via_provider, keyd->pid());
  double one = one_figure.per_second, two = two_figure.per_second;
  if (one <= 0 || two <= 0) return Fail("signing through keyd failed");
  auto peak = bench::ReadMemoryFigures(keyd->pid());
  if (!peak) return Fail(peak.error().Describe());

  std::printf("raw OpenSSL, 1 thread:            %8.0f signatures/s\n", raw_rate);
  std::printf("keyd, 1 client:                   %8.0f signatures/s\n", one);
  std::printf("keyd, 2 clients:                  %8.0f signatures/s\n", two);
  std::printf("keyd via the OpenSSL provider:    %8.0f signatures/s (1 thread, EVP_PKEY_sign on edgesec's key)\n",
              provider_figure.per_second);
  std::printf("provider/keyd client, 1 client:   %8.2f   (the provider's own cost)\n", provider_figure.per_second / one);
  std::printf("provider/raw, 1 client:           %8.2f\n", provider_figure.per_second / raw_rate);
  std::printf("keyd, 1 client, all on CPU 0:      %8.0f signatures/s (%.1f us in keyd + %.1f us in the client)\n",
              pinned_figure.per_second, pinned_figure.cpu_us_keyd, pinned_figure.cpu_us_client);
  std::printf("CPU per signature, raw:            %8.1f us\n", raw_figure.cpu_us_client);
  std::printf("CPU per signature, 1 client:      %8.1f us in keyd + %.1f us in the client\n", one_figure.cpu_us_keyd,
              one_figure.cpu_us_client);
  std::printf("CPU per signature, 2 clients:     %8.1f us in keyd + %.1f us in the clients\n", two_figure.cpu_us_keyd,
              two_figure.cpu_us_client);
  std::printf("keyd/raw, 1 client:               %8.2f   goal >= 0.40   %s\n", one / raw_rate, Verdict(one / raw_rate >= 0.4));
  std::printf("keyd/raw, 2 clients:              %8.2f   goal >= 1.00   %s\n", two / raw_rate, Verdict(two / raw_rate >= 1.0));
  std::printf("keyd idle VmRSS:                  %8ld KiB\n", idle->vm_rss);
  std::printf("keyd idle RssAnon:                %8ld KiB   goal <= 4096 KiB   %s\n", idle->rss_anon,
              Verdict(idle->rss_anon >= 0 && idle->rss_anon <= 4096));
  std::printf("keyd idle VmHWM:                  %8ld KiB\n", idle->vm_hwm);
  std::printf("keyd after load VmRSS:            %8ld KiB\n", peak->vm_rss);
  std::printf("keyd after load RssAnon:          %8ld KiB\n", peak->rss_anon);
  std::printf("keyd peak VmHWM:                  %8ld KiB\n", peak->vm_hwm);
  auto [vmin, vmax] = std::minmax_element(version.begin(), version.end());
  auto [rmin, rmax] = std::minmax_element(ready.begin(), ready.end());
  std::printf("exec -> first GET /version:       %8.1f ms (median of %d starts; min %.1f, max %.1f)\n", Median(version),
              kStarts, *vmin, *vmax);
  std::printf("exec -> READY=1 (NOTIFY_SOCKET):  %8.1f ms (median of %d starts; min %.1f, max %.1f)   goal <= 50 ms   %s\n",
              Median(ready), kStarts, *rmin, *rmax, Verdict(Median(ready) <= 50.0));
  return 0;
}

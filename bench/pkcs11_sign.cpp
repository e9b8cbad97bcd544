// pkcs11-sign: ECDSA P-256 signatures per second with a SoftHSM2 token key, the pkcs11 engine used
// directly in this process (its C ABI table, as keyd calls it) versus through keyd (the same engine
// behind keyd's socket, keep-alive connections), with 1 and 2 threads/clients and the ratios. The
// token is made for the run in a temp SOFTHSM2_CONF. Each figure: a warm-up, then a fixed measuring
// time. The peer in the same run: Debian's `p11-kit server` serving the same token, keyd's key
// signed with C_SignInit + C_Sign through p11-kit's client module in this process (one session per
// client thread). Prints issue 14's goals with PASS/MISS: keyd ÷ in-process >= 0.8 (1 and 2), keyd
// ÷ p11-kit server >= 2.0 (1 and 2).
//
//   pkcs11-sign [path/to/edgesec-keyd]   (default: $EDGESEC_KEYD, else <build>/edgesec-keyd)
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/keyd_process.hpp"
#include "bench/p11kit_peer.hpp"
#include "common/json.hpp"
#include "common/ossl.hpp"
#include "keyd/client/keyd_client.hpp"
#include "keyd/engines/pkcs11/pkcs11_engine.hpp"

using namespace edgesec;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kWarmUp = std::chrono::milliseconds(500);
constexpr auto kMeasure = std::chrono::seconds(3);
constexpr int kRounds = 3;
constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* kPin = "bench-pin-1234";
// Where p11-kit's modules are (pkg-config --variable=p11_module_path p11-kit-1, at build time).
#ifndef EDGESEC_P11_MODULE_DIR
#define EDGESEC_P11_MODULE_DIR "/usr/lib/x86_64-linux-gnu/pkcs11"
#endif
constexpr const char* kP11KitClient = EDGESEC_P11_MODULE_DIR "/p11-kit-client.so";

std::string KeydPath(int argc, char** argv) {
  if (argc > 1) return argv[1];
  if (const char* env = std::getenv("EDGESEC_KEYD"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "edgesec-keyd").string();
}

// Operations per second of `op(thread_index)` on `threads` threads (false from op: a failure → -1).
template <class Op>
double Measure(int threads, Op op) {
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  Clock::time_point from = Clock::now() + kWarmUp, until = from + kMeasure;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
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
        if (now >= from) ++mine;
      }
      done += mine;
    });
  for (auto& w : workers) w.join();
  if (failed || done == 0) return -1;
  return static_cast<double>(done) / std::chrono::duration<double>(kMeasure).count();
}

struct InProcess {
  const edgesec_key_engine* table;
  void* ctx;
  int Prepare(int) { return 0; }
  bool Run(int) {
    unsigned char digest[32] = {0x5a}, sig[128];
    size_t len = sizeof sig;
    edgesec_error err{};
    edgesec_status st = table->sign(ctx, "bench-direct", EDGESEC_MECH_ECDSA, digest, sizeof digest,
                                    sig, &len, &err);
    if (st != EDGESEC_OK)
      std::fprintf(stderr, "pkcs11-sign: engine sign failed: %s\n", err.message);
    return st == EDGESEC_OK;
  }
};

struct ThroughKeyd {
  std::string socket;
  keyd::api::SignRequest request;
  std::unique_ptr<keyd::KeydClient> Prepare(int) {
    return std::make_unique<keyd::KeydClient>(socket);
  }
  bool Run(std::unique_ptr<keyd::KeydClient>& client) {
    auto sig = client->Sign(request);
    if (!sig)
      std::fprintf(stderr, "pkcs11-sign: keyd sign failed: %s\n", sig.error().Describe().c_str());
    return sig.has_value();
  }
};

// keyd's key, through p11-kit server: a session of its own per client thread.
struct ThroughP11Kit {
  bench::P11KitClient* client;
  unsigned long Prepare(int) { return client->OpenSession(); }
  bool Run(unsigned long session) { return session != 0 && client->Sign(session); }
};

// Whether a signature made through p11-kit server verifies with keyd's public key of the key: the
// peer signs with the very key keyd uses.
bool SameKey(bench::P11KitClient& client, EVP_PKEY* keyd_public) {
  std::string raw;
  unsigned long session = client.OpenSession();
  bool signed_ok = session != 0 && client.Sign(session, &raw) && raw.size() == 64;
  client.CloseSession(session);
  if (!signed_ok) return false;
  UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) return false;
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  const unsigned char digest[32] = {0x5a};
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, keyd_public, nullptr));
  bool ok = len > 0 && ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
            EVP_PKEY_verify(ctx.get(), der, static_cast<size_t>(len), digest, sizeof digest) == 1;
  OPENSSL_free(der);
  return ok;
}

const char* Verdict(bool pass) {
  return pass ? "PASS" : "MISS";
}

// A SoftHSM2 token of our own, labelled "bench": the engine in this process, keyd and p11-kit
// server all find it through SOFTHSM2_CONF. Returns keyd's base_slot URI, or "" on failure.
std::string MakeToken(const std::string& dir) {
  std::filesystem::create_directories(dir + "/tokens");
  std::ofstream(dir + "/softhsm2.conf")
      << "directories.tokendir = " << dir
      << "/tokens\nobjectstore.backend = file\nlog.level = ERROR\n";
  ::setenv("SOFTHSM2_CONF", (dir + "/softhsm2.conf").c_str(), 1);
  std::string init = std::string("softhsm2-util --init-token --free --label bench --pin ") + kPin +
                     " --so-pin bench-so >/dev/null";
  if (std::system(init.c_str()) != 0) return "";
  return std::string("pkcs11:token=bench?pin-value=") + kPin;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The three ways, 1 and 2 threads each, measured in kRounds interleaved rounds (so that a burst of
// load from elsewhere on the machine hits one round of each rather than all of one); the medians.
struct Rates {
  double direct[2], keyd[2], p11kit[2];
};
bool MeasureRounds(InProcess& direct, ThroughKeyd& through, ThroughP11Kit& p11kit, Rates& out) {
  std::vector<double> d[2], k[2], p[2];
  for (int round = 0; round < kRounds; ++round)
    for (int t = 0; t < 2; ++t) {
      d[t].push_back(Measure(t + 1, direct));
      k[t].push_back(Measure(t + 1, through));
      p[t].push_back(Measure(t + 1, p11kit));
      if (d[t].back() <= 0 || k[t].back() <= 0 || p[t].back() <= 0) return false;
    }
  for (int t = 0; t < 2; ++t) {
    out.direct[t] = Median(d[t]);
    out.keyd[t] = Median(k[t]);
    out.p11kit[t] = Median(p[t]);
  }
  return true;
}

void Print(const Rates& r) {
  std::printf("engine in-process, 1 thread:      %8.0f signatures/s\n", r.direct[0]);
  std::printf("engine in-process, 2 threads:     %8.0f signatures/s\n", r.direct[1]);
  std::printf("through keyd, 1 client:           %8.0f signatures/s\n", r.keyd[0]);
  std::printf("through keyd, 2 clients:          %8.0f signatures/s\n", r.keyd[1]);
  std::printf(
      "p11-kit server, 1 client:         %8.0f signatures/s (p11-kit-client.so, C_SignInit + "
      "C_Sign)\n",
      r.p11kit[0]);
  std::printf(
      "p11-kit server, 2 clients:        %8.0f signatures/s (a session per client thread)\n",
      r.p11kit[1]);
  double in1 = r.keyd[0] / r.direct[0], in2 = r.keyd[1] / r.direct[1];
  double pk1 = r.keyd[0] / r.p11kit[0], pk2 = r.keyd[1] / r.p11kit[1];
  std::printf("keyd/in-process, 1:               %8.2f   goal >= 0.80   %s\n", in1,
              Verdict(in1 >= 0.8));
  std::printf("keyd/in-process, 2:               %8.2f   goal >= 0.80   %s\n", in2,
              Verdict(in2 >= 0.8));
  std::printf("keyd/p11-kit server, 1 client:    %8.2f   goal >= 2.0   %s\n", pk1,
              Verdict(pk1 >= 2.0));
  std::printf("keyd/p11-kit server, 2 clients:   %8.2f   goal >= 2.0   %s\n", pk2,
              Verdict(pk2 >= 2.0));
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "pkcs11-sign: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string keyd_path = KeydPath(argc, argv);
  if (::access(keyd_path.c_str(), X_OK) != 0)
    return Fail("no keyd at '" + keyd_path + "' (pass its path as argument)");
  if (::access(kModule, R_OK) != 0)
    return Fail(std::string("SoftHSM2 is not installed (") + kModule + ")");
  if (::access(kP11KitClient, R_OK) != 0)
    return Fail(std::string("p11-kit's client module is missing (") + kP11KitClient + ")");
  bench::BenchDir dir;
  if (dir.path().empty()) return Fail("cannot create a temp directory");
  const std::string base_slot = MakeToken(dir.path());
  if (base_slot.empty()) return Fail("softhsm2-util --init-token failed");
  std::printf(
      "pkcs11-sign: ECDSA P-256 over a SHA-256 digest with a SoftHSM2 token key; %.1f s warm-up, "
      "%.1f s per "
      "figure, median of %d interleaved rounds; %u CPUs; keyd %s\n",
      std::chrono::duration<double>(kWarmUp).count(),
      std::chrono::duration<double>(kMeasure).count(), kRounds, std::thread::hardware_concurrency(),
      keyd_path.c_str());

  // 1. The engine in this process.
  const edgesec_key_engine* table = keyd::engines::pkcs11::Table();
  Json options{{"state_dir", dir.path()},
               {"preloaded", Json::object()},
               {"options", {{"lib_path", kModule}, {"base_slot", base_slot}}}};
  void* ctx = nullptr;
  edgesec_error err{};
  if (table->open(DumpJson(options).c_str(), &ctx, &err) != EDGESEC_OK)
    return Fail(std::string("engine open: ") + err.message);
  std::unique_ptr<void, void (*)(void*)> engine(ctx, keyd::engines::pkcs11::Table()->close);
  if (table->generate_key_pair(ctx, "bench-direct", "ec-p256", &err) != EDGESEC_OK)
    return Fail(std::string("engine keygen: ") + err.message);
  InProcess direct{table, ctx};

  // 2. keyd, the same token.
  std::string root = dir.path() + "/root";
  std::filesystem::create_directories(root + "/etc/edgesec/keyd");
  std::ofstream(root + "/etc/edgesec/keyd/config.toml")
      << "default_engine = \"pkcs11\"\n[pkcs11]\nlib_path = \"" << kModule << "\"\nbase_slot = \""
      << base_slot << "\"\n";
  auto started = bench::KeydProcess::Start(keyd_path, root);
  if (!started) return Fail(started.error().Describe());
  keyd::KeydClient admin((*started)->socket());
  auto handle = admin.CreateKeyPairIfNotExists("bench-keyd", std::string("ec-p256"));
  if (!handle) return Fail("cannot create the key pair through keyd: " + handle.error().Describe());
  ThroughKeyd through{(*started)->socket(),
                      {*handle, keyd::api::SignAlgorithm::kEcdsa, Bytes(32, 0x5a)}};

  // 3. p11-kit server with the same token, keyd's key signed through p11-kit-client.so.
  auto server = bench::P11KitServer::Start(kModule, "pkcs11:token=bench", dir.path());
  if (!server) return Fail(server.error().Describe());
  auto remote =
      bench::P11KitClient::Open(kP11KitClient, (*server)->address(), "bench", kPin, "bench-keyd");
  if (!remote) return Fail(remote.error().Describe());
  auto keyd_public = admin.PublicKey(*handle);
  if (!keyd_public) return Fail("keyd's public key: " + keyd_public.error().Describe());
  if (!SameKey(**remote, keyd_public->get()))
    return Fail(
        "a signature through p11-kit server does not verify with keyd's public key of "
        "'bench-keyd'");
  ThroughP11Kit p11kit{remote->get()};

  Rates rates{};
  if (!MeasureRounds(direct, through, p11kit, rates)) return Fail("signing failed (see above)");
  Print(rates);
  return 0;
}

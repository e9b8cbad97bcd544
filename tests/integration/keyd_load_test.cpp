// keyd under load (API.md, "Common rules"): 200 connections open at once, each signing, while a
// slowloris client trickles one header byte per second. Every signer succeeds and the slowloris is
// dropped about 10 s after it connected.
#include <atomic>
#include <latch>
#include <thread>

#include "tests/integration/harness.hpp"
#include "tests/support/raw_http.hpp"

using namespace edgesec;
using namespace edgesec::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kConnections = 200;

struct SignerResult {
  bool connected = false;
  int status = 0;
  std::string body;
  Bytes digest, signature;
};

struct Slowloris {
  bool connected = false;
  bool dropped = false;
  size_t bytes_sent = 0;
  double seconds_until_dropped = 0;
};

// Connects, then sends "POST /sign…" one byte a second until keyd drops the connection (or 40 s pass).
Slowloris TrickleUntilDropped(const std::string& socket, const std::atomic<bool>& give_up) {
  Slowloris s;
  RawConnection c(socket);
  s.connected = c.connected();
  if (!s.connected) return s;
  auto start = Clock::now();
  const std::string request = HttpRequest("POST", At("/sign"), std::string(4096, ' '));
  while (Clock::now() - start < 40s && !give_up) {
    if (s.bytes_sent < request.size() && !c.Send(request.substr(s.bytes_sent, 1))) break;
    ++s.bytes_sent;
    if (c.WaitClosed(1s)) break;
  }
  s.dropped = c.WaitClosed(0ms) || !c.Send("x");
  s.seconds_until_dropped = std::chrono::duration<double>(Clock::now() - start).count();
  return s;
}

}  // namespace

TEST_CASE("200 concurrent signers all succeed while a slowloris client is dropped after about 10 s") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("busy-key", std::string("ec-p256")));
  EvpPkeyPtr pub = MUST(k.client.PublicKey(handle));

  std::atomic<bool> give_up{false};
  Slowloris slow;
  std::thread slow_thread([&] { slow = TrickleUntilDropped(k.socket(), give_up); });
  std::this_thread::sleep_for(1500ms);  // the slowloris is in the middle of its header when the load starts

  std::vector<SignerResult> results(kConnections);
  std::latch all_connected(kConnections);
  std::vector<std::thread> signers;
  auto load_start = Clock::now();
  for (int i = 0; i < kConnections; ++i) {
    signers.emplace_back([&, i] {
      SignerResult& r = results[static_cast<size_t>(i)];
      RawConnection c(k.socket());
      r.connected = c.connected();
      all_connected.count_down();
      all_connected.wait();  // every connection is open before any request is sent
      if (!r.connected) return;
      r.digest = Sha256(std::string("message ") + std::to_string(i));
      std::string body = DumpJson(Json{{"keyHandle", handle}, {"algorithm", "ECDSA"},
                                       {"parameters", {{"digest", B64(r.digest)}}}});
      if (!c.Send(HttpRequest("POST", At("/sign"), body))) return;
      RawResponse resp = c.Read(60s);
      r.status = resp.status;
      r.body = resp.body;
    });
  }
  for (auto& t : signers) t.join();
  double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();

  int succeeded = 0;
  for (int i = 0; i < kConnections; ++i) {
    SignerResult& r = results[static_cast<size_t>(i)];
    INFO("connection " << i << ": status " << r.status << ", body " << r.body);
    CHECK(r.connected);
    CHECK(r.status == 200);
    Json j = Json::parse(r.body, nullptr, false);
    if (r.status != 200 || j.is_discarded() || !j.contains("signature")) continue;
    CHECK(VerifyDigest(pub.get(), r.digest, Unb64(j["signature"].get<std::string>())));
    ++succeeded;
  }
  CHECK(succeeded == kConnections);
  WARN("200 signatures over 200 concurrent connections took " << load_seconds << " s");

  slow_thread.join();
  WARN("slowloris: sent " << slow.bytes_sent << " bytes, dropped after " << slow.seconds_until_dropped << " s");
  CHECK(slow.connected);
  CHECK(slow.dropped);
  // The deadline is 10 s for a complete request; allow for scheduling on a loaded machine.
  CHECK(slow.seconds_until_dropped >= 8.0);
  CHECK(slow.seconds_until_dropped <= 25.0);

  // keyd is still fine.
  CHECK(MUST(k.client.Version())["name"] == "edgesec-keyd");
  Bytes digest = Sha256Of(ToBytes("after the storm"));
  CHECK(VerifyDigest(pub.get(), digest,
                     MUST(k.client.Sign(keyd::api::SignRequest{handle, keyd::api::SignAlgorithm::kEcdsa, digest}))));
}

TEST_CASE("a client that sends a complete request is not dropped while its connection is kept alive") {
  Keyd k;
  std::string handle = MUST(k.client.CreateKeyPairIfNotExists("k"));
  RawConnection c(k.socket());
  REQUIRE(c.connected());
  // Three requests on one keep-alive connection, each sent whole, spread over 6 s.
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c.Send(HttpRequest("POST", At("/parameters/algorithm"), DumpJson(Json{{"keyHandle", handle}}))));
    RawResponse r = c.Read(10s);
    REQUIRE(r.status != 0);
    CHECK(r.status == 200);
    CHECK(Json::parse(r.body, nullptr, false) == Json{{"value", "ECDSA"}});
    if (i < 2) std::this_thread::sleep_for(3s);
  }
}

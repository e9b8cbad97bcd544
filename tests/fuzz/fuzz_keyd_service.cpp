// Fuzz target: the whole service path of keyd, in process. A real http::Server (libmicrohttpd, its
// unescape callback, the header checks) on a Unix socket in a temp root, serving the real router
// with keyd's real route table and KeyService (file engine, state under the temp root). Each input
// is written as raw bytes to a fresh connection, which is then half-closed; the answer is read
// until the server closes. Properties: nothing crashes; the server closes the connection in bounded
// time (no hang on any input); every answer starts with a well-formed HTTP/1.x status line whose
// status is one the API or libmicrohttpd defines, never 500 (a handler failure); and a fresh
// connection still gets 200 for GET /version afterwards (the server survived and is not wedged).
// The handle secret is fixed (kHandleSecret) and the keys fuzz-ec, fuzz-aes and fuzz-hmac exist
// before each input, so that seeds can carry valid handles (tests/fuzz/keyd_service_seeds.py) and
// reach sign, encrypt, decrypt, derive and delete.
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "common/daemon.hpp"
#include "common/fs.hpp"
#include "common/http/server.hpp"
#include "common/paths.hpp"
#include "config/keyd/config.hpp"
#include "keyd/server/routes/routes.hpp"
#include "keyd/server/service.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/service_exchange.hpp"

using namespace edgesec;

namespace {

// 32 bytes: keyd's handle secret for the fuzzer's state dir (keyd_service_seeds.py signs with it
// too).
constexpr char kHandleSecret[] = "edgesec-fuzz-handle-secret-32by!";
constexpr int kAnswerSeconds = 15;  // a complete answer and close after the half-close

struct Service {
  std::string dir;
  std::string socket;
  std::shared_ptr<keyd::KeyService> keys;
  std::unique_ptr<http::Server> server;

  Service() {
    char tmpl[] = "/tmp/es-fuzz-XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    Layout layout = Layout::UnderRoot(dir);
    std::filesystem::create_directories(layout.ServiceStateDir("keyd"));
    FUZZ_CHECK(fs::AtomicWriteFile(layout.ServiceStateDir("keyd") + "/handle-secret",
                                   std::string_view(kHandleSecret, 32), 0600));
    auto config = keyd::LoadKeydConfig(layout);
    FUZZ_CHECK(config.has_value());
    auto created = keyd::KeyService::Create(layout, *config);
    FUZZ_CHECK(created.has_value());
    keys = std::move(*created);
    socket = dir + "/keyd.sock";
    int fd = fuzz::ListenUnix(socket);
    auto started = http::Server::Start(fd, RouterHandler(keyd::routes::MakeRouter(*keys)));
    FUZZ_CHECK(started.has_value());
    server = std::move(*started);
  }
  // The keys the seeds' handles name; an input may have deleted them.
  void EnsureKeys() {
    keyd::Caller root{::getuid()};
    FUZZ_CHECK(keys->CreateKeyPairIfNotExists(root, "fuzz-ec", std::string("ec-p256")));
    for (auto [id, usage] :
         {std::pair{"fuzz-aes", "encrypt"}, std::pair{"fuzz-hmac", "sign,derive"}}) {
      if (keys->GetKey(root, id)) continue;
      keyd::api::CreateKeyRequest create;
      create.key_id = id;
      create.usage = *keyd::api::ParseUsage(usage);
      FUZZ_CHECK(keys->CreateKey(root, create));
    }
  }
  ~Service() {
    server->Stop();
    server.reset();
    keys.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Service& TheService() {
  static Service service;
  return service;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Service& service = TheService();
  service.EnsureKeys();
  std::string answer = fuzz::Exchange(
      service.socket, std::string_view(reinterpret_cast<const char*>(data), size), kAnswerSeconds);
  // The statuses of API.md plus libmicrohttpd's own refusals (bad framing, unknown version).
  fuzz::CheckAnswer(answer,
                    {100, 200, 204, 400, 401, 404, 405, 411, 413, 414, 415, 422, 431, 501, 505});
  std::string version = fuzz::Exchange(
      service.socket, "GET /version?api-version=2020-09-01 HTTP/1.1\r\nHost: k\r\n\r\n",
      kAnswerSeconds);
  FUZZ_CHECK(fuzz::StatusOf(version) == 200);
  return 0;
}

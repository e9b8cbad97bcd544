// Fuzz target: the whole service path of IoT Edge's workload API — the socket any local uid can
// reach. keyd, certd and identityd run in this process on a temp root, each behind a real
// http::Server on its own Unix socket (so identityd reaches certd and keyd through their client
// libraries, as on a gateway); the input goes as raw bytes to a fresh connection to workload.sock
// (libmicrohttpd, the unescape callback, the header checks, the workload router and routes, the
// IdentityService, certd's issuance, keyd's signatures and AES-GCM). Properties: nothing crashes;
// the server closes the connection in bounded time; every answer starts with a well-formed status
// line whose status is one the API or libmicrohttpd defines — never 500 (a handler failure) and
// never 503 (the services are up); and GET /trust-bundle on a fresh connection still answers 200.
// Seeds: tests/fuzz/workload_service_seeds.py.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "certd/server/routes/routes.hpp"
#include "certd/server/service.hpp"
#include "common/daemon.hpp"
#include "common/http/server.hpp"
#include "common/paths.hpp"
#include "config/certd/config.hpp"
#include "config/identityd/config.hpp"
#include "config/keyd/config.hpp"
#include "daemon/server/routes/routes.hpp"
#include "daemon/server/service.hpp"
#include "keyd/server/routes/routes.hpp"
#include "keyd/server/service.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/service_exchange.hpp"

using namespace edgesec;

namespace {

constexpr int kAnswerSeconds = 30;  // an issuance goes through certd and keyd
constexpr char kTrustBundle[] =
    "GET /trust-bundle?api-version=2018-06-28 HTTP/1.1\r\nHost: w\r\n\r\n";

std::unique_ptr<http::Server> Serve(const std::string& socket, http::Handler handler) {
  auto started = http::Server::Start(fuzz::ListenUnix(socket), std::move(handler));
  FUZZ_CHECK(started.has_value());
  return std::move(*started);
}

struct Services {
  std::string dir;
  std::string workload;
  std::shared_ptr<keyd::KeyService> keys;
  std::shared_ptr<certd::CertService> certs;
  std::shared_ptr<identityd::IdentityService> identity;
  std::vector<std::unique_ptr<http::Server>> servers;  // stopped in reverse

  Services() {
    char tmpl[] = "/tmp/es-fuzz-XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    Layout layout = Layout::UnderRoot(dir);
    for (const char* svc : {"keyd", "certd", "identityd"})
      std::filesystem::create_directories(layout.ServiceStateDir(svc));
    std::filesystem::create_directories(layout.run());
    StartKeyd(layout);
    StartCertd(layout);
    StartIdentityd(layout);
    WaitForEdgeCa();
  }
  void StartKeyd(const Layout& layout) {
    auto config = keyd::LoadKeydConfig(layout);
    FUZZ_CHECK(config.has_value());
    auto created = keyd::KeyService::Create(layout, *config);
    FUZZ_CHECK(created.has_value());
    keys = std::move(*created);
    servers.push_back(Serve(layout.Socket("keyd"), RouterHandler(keyd::routes::MakeRouter(*keys))));
  }
  void StartCertd(const Layout& layout) {
    auto config = certd::LoadCertdConfig(layout);
    FUZZ_CHECK(config.has_value());
    auto created = certd::CertService::Create(layout, *config);
    FUZZ_CHECK(created.has_value());
    certs = std::move(*created);
    servers.push_back(
        Serve(layout.Socket("certd"), RouterHandler(certd::routes::MakeRouter(*certs))));
    certs->StartScheduler();  // issues the quickstart Edge CA
  }
  void StartIdentityd(const Layout& layout) {
    auto config = identityd::LoadIdentitydConfig(layout);
    FUZZ_CHECK(config.has_value());
    auto created =
        identityd::IdentityService::Create(layout, *config, std::make_shared<SystemClock>());
    FUZZ_CHECK(created.has_value());
    identity = std::move(*created);
    servers.push_back(Serve(layout.Socket("identityd"),
                            RouterHandler(identityd::routes::MakeIdentityRouter(*identity))));
    workload = layout.Socket("workload");
    servers.push_back(
        Serve(workload, RouterHandler(identityd::routes::MakeWorkloadRouter(*identity))));
    identity->edge_ca().StartWatching();
  }
  // The trust bundle answers once the Edge CA is issued (a few ms; 30 s at most).
  void WaitForEdgeCa() const {
    for (int i = 0; i < 300; ++i) {
      if (fuzz::StatusOf(fuzz::Exchange(workload, kTrustBundle, kAnswerSeconds)) == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FUZZ_CHECK(!"the Edge CA was not issued within 30 s");
  }
  ~Services() {
    identity->edge_ca().StopWatching();
    certs->Shutdown();
    while (!servers.empty()) {
      servers.back()->Stop();
      servers.pop_back();
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Services& TheServices() {
  static Services services;
  return services;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Services& services = TheServices();
  std::string answer =
      fuzz::Exchange(services.workload, std::string_view(reinterpret_cast<const char*>(data), size),
                     kAnswerSeconds);
  // The workload API's statuses (403 for a denied caller) plus libmicrohttpd's own refusals.
  fuzz::CheckAnswer(
      answer, {100, 200, 201, 204, 400, 403, 404, 405, 411, 413, 414, 415, 422, 431, 501, 505});
  FUZZ_CHECK(fuzz::StatusOf(fuzz::Exchange(services.workload, kTrustBundle, kAnswerSeconds)) ==
             200);
  return 0;
}

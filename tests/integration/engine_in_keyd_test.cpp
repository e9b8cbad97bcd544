// A vendor key engine (the test engine, a shared object behind the C ABI) used by the real keyd:
// keys matched by a [[key_engine]] rule live in it and sign through the keys API; an engine built
// for another ABI version stops keyd at start with a message naming it.
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "common/fs.hpp"
#include "keyd/client/keyd_client.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::Bytes;
using edgesec::testing::BinaryFromEnv;
using edgesec::testing::TempDir;

namespace {

void WriteKeydConfig(const TempDir& root, const std::string& engine_path) {
  std::string dir = root.path() + "/etc/edgesec/keyd";
  REQUIRE(edgesec::fs::MakeDirs(dir, 0755));
  REQUIRE(edgesec::fs::AtomicWriteFile(
      dir + "/config.toml",
      "[engines.vendor]\npath = \"" + engine_path +
          "\"\n\n"
          "[[key_engine]]\nkeys = [\"vendor-*\"]\nengine = \"vendor\"\n",
      0600));
}

std::string KeydSocket(const TempDir& root) {
  return root.path() + "/run/edgesec/keyd.sock";
}

bool Verifies(EVP_PKEY* pub, const Bytes& digest, const Bytes& sig) {
  edgesec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub, nullptr));
  REQUIRE(EVP_PKEY_verify_init(ctx.get()) == 1);
  return EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), digest.data(), digest.size()) == 1;
}

struct Finished {
  bool exited = false;
  int status = 0;
  std::string stderr_text;
};

// Runs `keyd --root root` with stderr to a file; waits up to 10 s for it to exit (kills it
// otherwise).
Finished RunKeydToExit(const TempDir& root) {
  std::string keyd = BinaryFromEnv("EDGESEC_KEYD");
  std::string log = root.path() + "/keyd.stderr";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::dup2(fd, STDERR_FILENO) < 0) ::_exit(126);
    std::string root_path = root.path();
    char* argv[] = {keyd.data(), const_cast<char*>("--root"), root_path.data(), nullptr};
    ::execv(keyd.c_str(), argv);
    ::_exit(127);
  }
  Finished f;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &f.status, WNOHANG) == pid) {
      f.exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!f.exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  auto text = edgesec::fs::ReadFile(log);
  if (text) f.stderr_text = *text;
  return f;
}

}  // namespace

TEST_CASE(
    "keyd keeps vendor-* keys in the configured vendor engine, which signs through the keys API") {
  TempDir root;
  WriteKeydConfig(root, BinaryFromEnv("EDGESEC_TEST_ENGINE"));
  edgesec::testing::DaemonProcess keyd(BinaryFromEnv("EDGESEC_KEYD"), root.path(),
                                       KeydSocket(root));
  edgesec::keyd::KeydClient client(KeydSocket(root));

  auto handle = client.CreateKeyPairIfNotExists("vendor-1");
  REQUIRE(handle);
  auto engine = client.GetParameter(*handle, "engine");
  REQUIRE(engine);
  CHECK(*engine == "vendor");
  auto level = client.GetParameter(*handle, "security-level");
  REQUIRE(level);
  CHECK(*level == "SL2");
  auto algorithm = client.GetParameter(*handle, "algorithm");
  REQUIRE(algorithm);
  CHECK(*algorithm == "ECDSA");

  auto pub = client.PublicKey(*handle);
  REQUIRE(pub);
  Bytes digest = edgesec::Sha256("signed by the vendor engine");
  edgesec::keyd::api::SignRequest request;
  request.key_handle = *handle;
  request.algorithm = edgesec::keyd::api::SignAlgorithm::kEcdsa;
  request.data = digest;
  auto signature = client.Sign(request);
  REQUIRE(signature);
  CHECK(Verifies(pub->get(), digest, *signature));
  CHECK_FALSE(Verifies(pub->get(), edgesec::Sha256("something else"), *signature));

  // The vendor engine keeps its keys in memory: nothing of vendor-1 reaches the file engine's
  // directory.
  auto files = edgesec::fs::ListFiles(root.path() + "/var/lib/edgesec/keyd/file/keypairs");
  REQUIRE(files);
  CHECK(files->empty());
}

TEST_CASE("keyd keeps keys no rule matches in the file engine, next to vendor keys") {
  TempDir root;
  WriteKeydConfig(root, BinaryFromEnv("EDGESEC_TEST_ENGINE"));
  edgesec::testing::DaemonProcess keyd(BinaryFromEnv("EDGESEC_KEYD"), root.path(),
                                       KeydSocket(root));
  edgesec::keyd::KeydClient client(KeydSocket(root));
  auto vendor = client.CreateKeyPairIfNotExists("vendor-2");
  auto plain = client.CreateKeyPairIfNotExists("device-id");
  REQUIRE(vendor);
  REQUIRE(plain);
  auto engine = client.GetParameter(*plain, "engine");
  REQUIRE(engine);
  CHECK(*engine == "file");
  auto listed = client.ListKeyPairs();
  REQUIRE(listed);
  std::map<std::string, std::string> engines;
  for (const auto& k : *listed) engines[k.key_id] = k.engine;
  CHECK(engines ==
        std::map<std::string, std::string>{{"device-id", "file"}, {"vendor-2", "vendor"}});
}

TEST_CASE(
    "keyd refuses an algorithm the vendor engine cannot make instead of falling back to files") {
  TempDir root;
  WriteKeydConfig(root, BinaryFromEnv("EDGESEC_TEST_ENGINE"));
  edgesec::testing::DaemonProcess keyd(BinaryFromEnv("EDGESEC_KEYD"), root.path(),
                                       KeydSocket(root));
  edgesec::keyd::KeydClient client(KeydSocket(root));
  auto handle = client.CreateKeyPairIfNotExists("vendor-rsa", std::string("rsa-2048"));
  REQUIRE_FALSE(handle);
  CHECK(handle.error().kind == edgesec::ErrorKind::kInvalidParameter);
  CHECK_THAT(handle.error().message, Catch::Contains("rsa-2048"));
}

TEST_CASE("keyd with an engine built for another ABI version exits non-zero at start, naming it") {
  TempDir root;
  std::string path = BinaryFromEnv("EDGESEC_TEST_ENGINE_ABI99");
  WriteKeydConfig(root, path);
  Finished f = RunKeydToExit(root);
  INFO("stderr: " << f.stderr_text);
  REQUIRE(f.exited);
  CHECK(WIFEXITED(f.status));
  CHECK(WEXITSTATUS(f.status) != 0);
  CHECK_THAT(f.stderr_text, Catch::Contains(path) && Catch::Contains("ABI version 99") &&
                                Catch::Contains("version 1"));
  CHECK_FALSE(edgesec::fs::Exists(KeydSocket(root)));
}

TEST_CASE("keyd with an engine path that does not exist exits non-zero at start, naming the path") {
  TempDir root;
  WriteKeydConfig(root, "/nonexistent/libvendor.so");
  Finished f = RunKeydToExit(root);
  INFO("stderr: " << f.stderr_text);
  REQUIRE(f.exited);
  CHECK(WEXITSTATUS(f.status) != 0);
  CHECK_THAT(f.stderr_text, Catch::Contains("/nonexistent/libvendor.so"));
}

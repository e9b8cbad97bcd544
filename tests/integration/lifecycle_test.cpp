// keyd as a daemon: socket activation, sd_notify, SIGHUP reload, stale and foreign socket paths,
// state format versions.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/fs.hpp"
#include "common/http/client.hpp"
#include "keyd/client/keyd_client.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::testing::BinaryFromEnv;
using edgesec::testing::TempDir;

namespace {

sockaddr_un Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

// A datagram socket standing in for systemd's notification socket.
struct NotifySocket {
  int fd;
  std::string path;
  explicit NotifySocket(const std::string& p) : path(p) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = Address(path);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { ::close(fd); }
  // Next datagram, or "" after `ms`.
  std::string Receive(int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  // Waits for a datagram containing `what`.
  bool WaitFor(const std::string& what, int ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline)
      if (Receive(200).find(what) != std::string::npos) return true;
    return false;
  }
};

struct Spawned {
  pid_t pid = -1;
  std::string stderr_path;
  ~Spawned() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  int Wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string Stderr() const { return edgesec::fs::ReadFile(stderr_path).value(); }
};

// keyd --root root; `listen_fd` (if >= 0) passed as systemd would (fd 3, LISTEN_FDNAMES=keyd).
void Spawn(Spawned* out, const std::string& root, const std::string& notify = "", int listen_fd = -1) {
  out->stderr_path = root + "/keyd.stderr";
  std::string binary = BinaryFromEnv("EDGESEC_KEYD");
  out->pid = ::fork();
  if (out->pid == 0) {
    int err = ::open(out->stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(err, 2);
    if (!notify.empty()) ::setenv("NOTIFY_SOCKET", notify.c_str(), 1);
    if (listen_fd >= 0) {
      ::dup2(listen_fd, 3);
      ::setenv("LISTEN_FDS", "1", 1);
      ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
      ::setenv("LISTEN_FDNAMES", "keyd", 1);
    }
    ::execl(binary.c_str(), binary.c_str(), "--root", root.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

bool Answers(const std::string& socket) {
  edgesec::http::UnixClient client(socket, 1000);
  for (int i = 0; i < 500; ++i) {
    auto r = client.Send("GET", "/version?api-version=2020-09-01");
    if (r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void WriteConfig(const std::string& root, const std::string& text) {
  REQUIRE(edgesec::fs::MakeDirs(root + "/etc/edgesec/keyd", 0755));
  REQUIRE(edgesec::fs::AtomicWriteFile(root + "/etc/edgesec/keyd/config.toml", text, 0644));
}

std::string AlgorithmOf(edgesec::keyd::KeydClient& client, const std::string& id) {
  auto handle = client.CreateKeyPairIfNotExists(id);
  REQUIRE(handle);
  auto alg = client.GetParameter(*handle, "algorithm");
  REQUIRE(alg);
  return *alg;
}

}  // namespace

TEST_CASE("keyd reports READY, RELOADING and STOPPING to NOTIFY_SOCKET and stops cleanly on SIGTERM") {
  TempDir dir;
  NotifySocket notify(dir.path() + "/notify");
  Spawned keyd;
  Spawn(&keyd, dir.path(), notify.path);
  REQUIRE(notify.WaitFor("READY=1"));
  ::kill(keyd.pid, SIGHUP);
  REQUIRE(notify.WaitFor("RELOADING=1"));
  REQUIRE(notify.WaitFor("READY=1"));
  ::kill(keyd.pid, SIGTERM);
  REQUIRE(notify.WaitFor("STOPPING=1"));
  CHECK(keyd.Wait() == 0);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/run/edgesec/keyd.sock"));  // it bound it, it removes it
}

TEST_CASE("SIGHUP applies a changed config, and a broken one is refused while the old one keeps serving") {
  TempDir dir;
  WriteConfig(dir.path(), "preferred_algorithms = \"ec-p256\"\n");
  NotifySocket notify(dir.path() + "/notify");
  Spawned keyd;
  Spawn(&keyd, dir.path(), notify.path);
  REQUIRE(notify.WaitFor("READY=1"));
  edgesec::keyd::KeydClient client(dir.path() + "/run/edgesec/keyd.sock");
  CHECK(AlgorithmOf(client, "before") == "ECDSA");

  WriteConfig(dir.path(), "preferred_algorithms = \"rsa-2048\"\n");
  ::kill(keyd.pid, SIGHUP);
  REQUIRE(notify.WaitFor("READY=1"));
  CHECK(AlgorithmOf(client, "after") == "RSA");

  WriteConfig(dir.path(), "preferred_algorithms = \"rsa-2048\"\nsocket_mod = \"0600\"\n");
  ::kill(keyd.pid, SIGHUP);
  REQUIRE(notify.WaitFor("READY=1"));
  CHECK(AlgorithmOf(client, "after-broken") == "RSA");  // the running config stayed
  std::string log = keyd.Stderr();
  CHECK(log.find("config.toml:2:1") != std::string::npos);
  CHECK(log.find("did you mean 'socket_mode'") != std::string::npos);
}

TEST_CASE("keyd serves a socket passed by systemd and does not bind its own path") {
  TempDir dir;
  std::string path = dir.path() + "/activated.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = Address(path);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  Spawned keyd;
  Spawn(&keyd, dir.path(), "", fd);
  ::close(fd);
  REQUIRE(Answers(path));
  edgesec::keyd::KeydClient client(path);
  CHECK(client.CreateKeyPairIfNotExists("activated"));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/run/edgesec/keyd.sock"));
  ::kill(keyd.pid, SIGTERM);
  CHECK(keyd.Wait() == 0);
  CHECK(std::filesystem::exists(path));  // systemd's socket is systemd's to remove
}

TEST_CASE("keyd replaces a stale socket file but never a live socket or a regular file") {
  TempDir dir;
  std::string run = dir.path() + "/run/edgesec";
  REQUIRE(edgesec::fs::MakeDirs(run, 0755));
  std::string path = run + "/keyd.sock";
  {
    // Stale: bound, then closed without unlink.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr = Address(path);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
    Spawned keyd;
    Spawn(&keyd, dir.path());
    REQUIRE(Answers(path));
    // A second keyd on the same root must not steal the live socket.
    Spawned second;
    Spawn(&second, dir.path());
    CHECK(second.Wait() == 1);
    CHECK(second.Stderr().find("another process is already serving") != std::string::npos);
    CHECK(Answers(path));
    ::kill(keyd.pid, SIGTERM);
    CHECK(keyd.Wait() == 0);
  }
  std::ofstream(path) << "not a socket";
  Spawned keyd;
  Spawn(&keyd, dir.path());
  CHECK(keyd.Wait() == 1);
  CHECK(keyd.Stderr().find("is not a socket; refusing to remove it") != std::string::npos);
  CHECK(edgesec::fs::ReadFile(path).value() == "not a socket");
}

TEST_CASE("keyd refuses a state directory written by a newer format, changing nothing") {
  TempDir dir;
  std::string state = dir.path() + "/var/lib/edgesec/keyd";
  REQUIRE(edgesec::fs::MakeDirs(state, 0700));
  REQUIRE(edgesec::fs::AtomicWriteFile(state + "/FORMAT", "2\n", 0600));
  Spawned keyd;
  Spawn(&keyd, dir.path());
  CHECK(keyd.Wait() == 1);
  CHECK(keyd.Stderr().find("format version 2, newer than this keyd understands") != std::string::npos);
  CHECK(edgesec::fs::ReadFile(state + "/FORMAT").value() == "2\n");
  CHECK_FALSE(std::filesystem::exists(state + "/handle-secret"));
}

TEST_CASE("keyd exits with a file:line:col message on a bad config at start") {
  TempDir dir;
  WriteConfig(dir.path(), "default_engine = \"file\"\n[[principal]]\nuid = 1000\nkeys = \"device-*\"\n");
  Spawned keyd;
  Spawn(&keyd, dir.path());
  CHECK(keyd.Wait() == 1);
  std::string err = keyd.Stderr();
  CHECK(err.find("config.toml:4:8: 'principal[0].keys': must be an array of strings") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/run/edgesec/keyd.sock"));
}

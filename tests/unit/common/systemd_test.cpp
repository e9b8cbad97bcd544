// common/systemd ListenSocket without socket activation: binds the path with the asked mode,
// replaces only a stale socket, and never removes something that is not a socket or a live socket.
// ChildEnvironment leaves out systemd's variables for the main process only.
#include "common/systemd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "common/fs.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::ErrorKind;
using edgesec::systemd::ListenSocket;

namespace {

constexpr const char* kNoActivation = "edgesec-unit-test";

// A Unix socket bound at `path`; listening when `listen` is set.
int BoundSocket(const std::string& path, bool listen) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  if (listen) REQUIRE(::listen(fd, 4) == 0);
  return fd;
}

bool Connects(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode;
}

}  // namespace

TEST_CASE("ListenSocket binds a new path with the mode asked for and listens") {
  edgesec::testing::TempDir dir;
  for (mode_t mode : {mode_t{0600}, mode_t{0660}, mode_t{0666}}) {
    std::string path = dir.path() + "/s" + std::to_string(mode) + ".sock";
    auto fd = ListenSocket(path, kNoActivation, mode);
    REQUIRE(fd);
    CHECK(S_ISSOCK(ModeOf(path)));
    CHECK((ModeOf(path) & 07777) == mode);
    CHECK(Connects(path));
    ::close(*fd);
  }
}

TEST_CASE("ListenSocket refuses to replace a regular file") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/keyd.sock";
  REQUIRE(edgesec::fs::AtomicWriteFile(path, "precious", 0644));
  auto fd = ListenSocket(path, kNoActivation, 0600);
  REQUIRE_FALSE(fd);
  CHECK(fd.error().kind == ErrorKind::kIo);
  CHECK_THAT(fd.error().message, Catch::Contains(path) && Catch::Contains("not a socket"));
  auto text = edgesec::fs::ReadFile(path);
  REQUIRE(text);
  CHECK(*text == "precious");
}

TEST_CASE("ListenSocket refuses to replace a directory") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/keyd.sock";
  REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  auto fd = ListenSocket(path, kNoActivation, 0600);
  REQUIRE_FALSE(fd);
  CHECK_THAT(fd.error().message, Catch::Contains(path));
  CHECK(S_ISDIR(ModeOf(path)));
}

TEST_CASE("ListenSocket replaces a stale socket file left by a process that died") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/keyd.sock";
  ::close(BoundSocket(path, true));  // bound and closed, never unlinked: what a crash leaves
  REQUIRE(S_ISSOCK(ModeOf(path)));
  REQUIRE_FALSE(Connects(path));
  auto fd = ListenSocket(path, kNoActivation, 0660);
  REQUIRE(fd);
  CHECK(Connects(path));
  CHECK((ModeOf(path) & 07777) == 0660);
  ::close(*fd);
}

TEST_CASE("ListenSocket refuses a socket that another process is serving") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/keyd.sock";
  int live = BoundSocket(path, true);
  auto fd = ListenSocket(path, kNoActivation, 0600);
  REQUIRE_FALSE(fd);
  CHECK_THAT(fd.error().message, Catch::Contains("already serving") && Catch::Contains(path));
  CHECK(Connects(path));  // the live socket was left alone
  ::close(live);
}

TEST_CASE("ListenSocket refuses a path longer than a Unix socket address") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/" + std::string(120, 'x') + ".sock";
  auto fd = ListenSocket(path, kNoActivation, 0600);
  REQUIRE_FALSE(fd);
  CHECK(fd.error().kind == ErrorKind::kConfig);
  CHECK_THAT(fd.error().message, Catch::Contains("longer than"));
}

TEST_CASE("ReleaseSocket removes the socket this process bound") {
  edgesec::testing::TempDir dir;
  std::string path = dir.path() + "/keyd.sock";
  auto fd = ListenSocket(path, kNoActivation, 0600);
  REQUIRE(fd);
  ::close(*fd);
  edgesec::systemd::ReleaseSocket(path);
  CHECK_FALSE(edgesec::fs::Exists(path));
}

// Socket activation as systemd does it: the listening socket at fd 3, LISTEN_PID/LISTEN_FDS/
// LISTEN_FDNAMES in the environment.
namespace {
struct Activated {
  explicit Activated(const std::string& path, const char* name) {
    int fd = BoundSocket(path, true);
    if (fd != SD_LISTEN_FDS_START) {
      REQUIRE(::fcntl(SD_LISTEN_FDS_START, F_GETFD) == -1);  // fd 3 must be free in this test
      REQUIRE(::dup2(fd, SD_LISTEN_FDS_START) == SD_LISTEN_FDS_START);
      ::close(fd);
    }
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    ::setenv("LISTEN_FDNAMES", name, 1);
  }
  ~Activated() {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    ::close(SD_LISTEN_FDS_START);
  }
};
}  // namespace

TEST_CASE("a lone activated socket named for identityd is not also taken as the workload socket") {
  edgesec::testing::TempDir dir;
  Activated activated(dir.path() + "/identityd.sock", "identityd");
  auto identity = ListenSocket(dir.path() + "/unused.sock", "identityd", 0660);
  REQUIRE(identity);
  CHECK(*identity == SD_LISTEN_FDS_START);
  auto workload = ListenSocket(dir.path() + "/workload.sock", "workload", 0666);
  REQUIRE(workload);
  CHECK(*workload != SD_LISTEN_FDS_START);  // bound its own path instead
  CHECK(Connects(dir.path() + "/workload.sock"));
  ::close(*workload);
}

TEST_CASE("a lone activated socket with the unit's default name serves") {
  edgesec::testing::TempDir dir;
  Activated activated(dir.path() + "/keyd.sock", "edgesec-keyd.socket");
  auto fd = ListenSocket(dir.path() + "/unused.sock", "keyd", 0660);
  REQUIRE(fd);
  CHECK(*fd == SD_LISTEN_FDS_START);
}

TEST_CASE("ChildEnvironment leaves out NOTIFY_SOCKET, WATCHDOG_* and LISTEN_*, keeps the rest") {
  const char* main_only[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                             "LISTEN_FDS",    "LISTEN_PID",    "LISTEN_FDNAMES"};
  for (const char* name : main_only) REQUIRE(::setenv(name, "1", 1) == 0);
  REQUIRE(::setenv("NOTIFY_SOCKETS_NOT", "kept", 1) == 0);  // a longer name is not one of them
  REQUIRE(::setenv("EDGESEC_CHILD_ENV_TEST", "a=b", 1) == 0);
  std::vector<std::string> env = edgesec::systemd::ChildEnvironment();
  for (const auto& e : env)
    for (const char* name : main_only) CHECK(e.rfind(std::string(name) + "=", 0) != 0);
  CHECK(std::count(env.begin(), env.end(), "NOTIFY_SOCKETS_NOT=kept") == 1);
  CHECK(std::count(env.begin(), env.end(), "EDGESEC_CHILD_ENV_TEST=a=b") == 1);
  auto ptrs = edgesec::systemd::EnvPointers(env);
  REQUIRE(ptrs.size() == env.size() + 1);
  CHECK(ptrs.back() == nullptr);
  for (const char* name : main_only) ::unsetenv(name);
}

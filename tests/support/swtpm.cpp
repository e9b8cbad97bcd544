#include "tests/support/swtpm.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace edgesec::testing {
namespace {

bool OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  return ::access(("/usr/sbin/" + name).c_str(), X_OK) == 0;
}

bool CanBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Two consecutive free ports (swtpm's server and control channels), away from the ephemeral range's
// busiest part.
int FreePortPair() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    int port = 20000 + static_cast<int>(::random() % 20000) * 2;
    if (CanBind(port) && CanBind(port + 1)) return port;
  }
  throw std::runtime_error("no two free consecutive TCP ports for swtpm");
}

// fork + exec with stdout/stderr to `log` (appended); the child dies with the test process.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

void Terminate(pid_t* pid) {
  if (*pid <= 0) return;
  ::kill(*pid, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(*pid, nullptr, WNOHANG) == *pid) {
      *pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(*pid, SIGKILL);
  ::waitpid(*pid, nullptr, 0);
  *pid = -1;
}

std::string ReadLog(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `ready` for up to 10 s; false if `pid` exits first or time runs out.
template <class Ready>
bool WaitFor(pid_t pid, Ready ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

bool Swtpm::Available() {
  return OnPath("swtpm") && OnPath("tpm2-abrmd") && OnPath("dbus-daemon");
}

Swtpm::Swtpm(const std::string& dir, bool with_abrmd) : dir_(dir), with_abrmd_(with_abrmd) {
  std::filesystem::create_directories(dir_);
  ::srandom(static_cast<unsigned>(::getpid() ^
                                  std::chrono::steady_clock::now().time_since_epoch().count()));
  try {
    for (int attempt = 0; attempt < 5 && swtpm_ <= 0; ++attempt) {
      port_ = FreePortPair();
      try {
        StartSwtpm();
      } catch (const std::runtime_error&) {
        if (attempt == 4) throw;  // another process may have taken the ports: try others
      }
    }
    if (with_abrmd_) {
      std::string socket = dir_ + "/dbus.sock";
      dbus_ = Spawn(
          {"dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=unix:path=" + socket},
          dir_ + "/dbus.log");
      if (!WaitFor(dbus_, [&] { return ::access(socket.c_str(), F_OK) == 0; }))
        throw std::runtime_error("dbus-daemon did not start:\n" + ReadLog(dir_ + "/dbus.log"));
      ::setenv("DBUS_SESSION_BUS_ADDRESS", ("unix:path=" + socket).c_str(), 1);
      StartAbrmd();
    }
  } catch (...) {
    Stop();
    throw;
  }
}

Swtpm::~Swtpm() {
  Stop();
}

void Swtpm::StartSwtpm() {
  swtpm_ = Spawn({"swtpm", "socket", "--tpm2", "--server",
                  "type=tcp,bindaddr=127.0.0.1,port=" + std::to_string(port_), "--ctrl",
                  "type=tcp,bindaddr=127.0.0.1,port=" + std::to_string(port_ + 1), "--tpmstate",
                  "dir=" + dir_, "--flags", "not-need-init,startup-clear"},
                 dir_ + "/swtpm.log");
  if (!WaitFor(swtpm_, [&] { return Accepts(port_ + 1); })) {
    Terminate(&swtpm_);
    throw std::runtime_error("swtpm did not start on port " + std::to_string(port_) + ":\n" +
                             ReadLog(dir_ + "/swtpm.log"));
  }
}

void Swtpm::StartAbrmd() {
  abrmd_ = Spawn({"tpm2-abrmd", "--allow-root", "--session",
                  "--tcti=swtpm:host=127.0.0.1,port=" + std::to_string(port_)},
                 dir_ + "/abrmd.log");
  auto registered = [] {
    return std::system(
               "dbus-send --session --print-reply --dest=org.freedesktop.DBus "
               "/org/freedesktop/DBus "
               "org.freedesktop.DBus.GetNameOwner string:com.intel.tss2.Tabrmd >/dev/null 2>&1") ==
           0;
  };
  if (!WaitFor(abrmd_, registered)) {
    Terminate(&abrmd_);
    throw std::runtime_error("tpm2-abrmd did not start:\n" + ReadLog(dir_ + "/abrmd.log"));
  }
}

std::string Swtpm::Tcti() const {
  return with_abrmd_ ? "tabrmd:bus_type=session"
                     : "swtpm:host=127.0.0.1,port=" + std::to_string(port_);
}

void Swtpm::Restart() {
  Terminate(&abrmd_);
  Terminate(&swtpm_);
  // The same ports: keyd's config names them. swtpm binds with SO_REUSEADDR; wait while they
  // linger.
  for (int i = 0; i < 100 && !(CanBind(port_) && CanBind(port_ + 1)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  StartSwtpm();
  if (with_abrmd_) StartAbrmd();
}

void Swtpm::Stop() {
  Terminate(&abrmd_);
  Terminate(&swtpm_);
  Terminate(&dbus_);
}

}  // namespace edgesec::testing

#include "bench/keyd_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "common/http/client.hpp"

extern char** environ;

namespace edgesec::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A datagram socket standing in for systemd's notification socket.
Expected<int> BindNotifySocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Internal("notify socket path too long");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return IoError("bind '" + path + "'", e);
  }
  return fd;
}

}  // namespace

BenchDir::BenchDir() {
  char tmpl[] = "/tmp/es-bench-XXXXXX";
  if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
}

BenchDir::~BenchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Expected<MemoryFigures> ReadMemoryFigures(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return IoError("cannot read /proc/" + std::to_string(pid) + "/status", ENOENT);
  MemoryFigures m;
  std::string line;
  auto field = [&](const char* name, long* out) {
    size_t n = std::strlen(name);
    if (line.compare(0, n, name) == 0) *out = std::strtol(line.c_str() + n, nullptr, 10);
  };
  while (std::getline(in, line)) {
    field("VmRSS:", &m.vm_rss);
    field("RssAnon:", &m.rss_anon);
    field("VmHWM:", &m.vm_hwm);
  }
  return m;
}

void PinProcess(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned i = 0; i < CPU_SETSIZE && i < std::thread::hardware_concurrency(); ++i)
    if (cpu < 0 || static_cast<int>(i) == cpu) CPU_SET(i, &set);
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec))
    ::sched_setaffinity(static_cast<pid_t>(std::stol(task.path().filename().string())), sizeof set,
                        &set);
}

Expected<std::unique_ptr<KeydProcess>> KeydProcess::Start(const std::string& binary,
                                                          const std::string& root,
                                                          const std::string& service) {
  std::unique_ptr<KeydProcess> p(new KeydProcess);
  p->socket_ = root + "/run/edgesec/" + service + ".sock";
  std::string notify_path = root + "/" + service + "-notify.sock";
  EDGESEC_ASSIGN_OR_RETURN(int notify_fd, BindNotifySocket(notify_path));

  // Everything the child needs is built before fork(): after it, only exec.
  std::vector<std::string> args = {binary, "--root", root};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string notify_env = "NOTIFY_SOCKET=" + notify_path;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 && std::strncmp(*e, "LISTEN_", 7) != 0)
      envp.push_back(*e);
  envp.push_back(notify_env.data());
  envp.push_back(nullptr);
  std::string log_path = root + "/" + service + ".log";
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  Clock::time_point t0 = Clock::now();
  p->pid_ = ::fork();
  if (p->pid_ == 0) {
    if (log_fd >= 0) ::dup2(log_fd, 2);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  if (p->pid_ < 0) {
    ::close(notify_fd);
    return IoError("fork", errno);
  }

  // exec → first GET /version answered, polled from a second thread while this one waits for
  // READY=1.
  std::atomic<bool> give_up{false};
  std::atomic<double> version_ms{-1};
  std::thread poller([&] {
    http::UnixClient client(p->socket_, 1000);
    while (!give_up) {
      auto r = client.Send("GET", "/version?api-version=2020-09-01");
      if (r && r->status == 200) {
        version_ms = MsSince(t0);
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });

  auto deadline = t0 + std::chrono::seconds(10);
  double ready = -1;
  while (ready < 0 && Clock::now() < deadline) {
    pollfd pfd{notify_fd, POLLIN, 0};
    if (::poll(&pfd, 1, 50) == 1) {
      char buf[4096];
      ssize_t n = ::recv(notify_fd, buf, sizeof buf - 1, 0);
      if (n > 0) {
        buf[n] = '\0';
        if (std::strstr(buf, "READY=1") != nullptr) ready = MsSince(t0);
      }
    }
    if (::waitpid(p->pid_, nullptr, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      break;
    }
  }
  while (ready >= 0 && version_ms < 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  give_up = true;
  poller.join();
  ::close(notify_fd);
  ::unlink(notify_path.c_str());
  if (p->pid_ < 0)
    return MakeError(ErrorKind::kUnavailable, service + " exited during start-up; see " + log_path);
  if (ready < 0 || version_ms < 0)
    return MakeError(ErrorKind::kUnavailable,
                     service + " did not get ready within 10 s; see " + log_path);
  p->ready_ms_ = ready;
  p->version_ms_ = version_ms;
  return p;
}

KeydProcess::~KeydProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace edgesec::bench

// edgectl up / down: run the daemons in the background under --root (DESIGN.md, "Running it").
#include <cctype>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "cli/cli.hpp"
#include "common/fs.hpp"
#include "common/http/client.hpp"
#include "common/systemd.hpp"

namespace edgesec::cli {
namespace {

struct Daemon {
  const char* name;  // socket and log name
  const char* binary;
};
// Started in this order, stopped in reverse.
const Daemon kDaemons[] = {
    {"keyd", "edgesec-keyd"}, {"certd", "edgesec-certd"}, {"identityd", "edgesec-identityd"}};

std::string SelfDir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return fs::DirName(buf);
}

bool Executable(const std::string& p) {
  return ::access(p.c_str(), X_OK) == 0;
}

// Next to edgectl, then $EDGESEC_LIBEXECDIR, then the install's libexecdir, then PATH.
std::string FindBinary(const std::string& binary) {
  std::vector<std::string> dirs = {SelfDir()};
  if (const char* env = std::getenv("EDGESEC_LIBEXECDIR")) dirs.emplace_back(env);
  dirs.emplace_back(EDGESEC_LIBEXECDIR);
  if (const char* path = std::getenv("PATH")) {
    std::string p(path);
    size_t start = 0;
    for (;;) {
      size_t end = p.find(':', start);
      dirs.push_back(p.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  for (const auto& d : dirs)
    if (!d.empty() && Executable(d + "/" + binary)) return d + "/" + binary;
  return {};
}

bool Answers(const std::string& socket) {
  http::UnixClient client(socket, 2000);
  auto r = client.Send("GET", "/version?api-version=2020-09-01");
  return r && r->status == 200;
}

std::string PidFile(const Layout& l, const Daemon& d) {
  return l.run() + "/" + d.name + ".pid";
}

pid_t ReadPid(const std::string& path) {
  auto text = fs::ReadFile(path, 64);
  return text ? static_cast<pid_t>(std::atol(text->c_str())) : 0;
}

// True when `pid` is alive and runs `binary` (a recycled pid must never be signalled).
bool IsOurs(pid_t pid, const std::string& binary) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  auto cmdline = fs::ReadFile("/proc/" + std::to_string(pid) + "/cmdline", 65536);
  return cmdline && cmdline->find(binary) != std::string::npos;
}

std::string LogTail(const std::string& path) {
  auto text = fs::ReadFile(path, 1 << 20);
  if (!text) return {};
  std::string t = *text;
  size_t pos = t.size();
  for (int lines = 0; lines < 10 && pos > 0; ++lines)
    pos = t.rfind('\n', pos - 1) == std::string::npos ? 0 : t.rfind('\n', pos - 1);
  return t.substr(pos);
}

int Start(const Context& ctx, const Daemon& d, Json* report) {
  std::string socket = ctx.layout.Socket(d.name);
  if (Answers(socket)) {
    (*report)[d.name] = "already running";
    return kOk;
  }
  std::string binary = FindBinary(d.binary);
  if (binary.empty())
    return Fail(std::string("cannot find ") + d.binary +
                " next to edgectl, in $EDGESEC_LIBEXECDIR, in " EDGESEC_LIBEXECDIR " or on PATH");
  std::string log_path = ctx.layout.logs() + "/" + d.name + ".log";
  // Without systemd's NOTIFY_SOCKET, WATCHDOG_* and LISTEN_*: meant for edgectl if for anyone.
  std::vector<std::string> env = systemd::ChildEnvironment();
  std::vector<char*> envp = systemd::EnvPointers(env);
  std::string root = ctx.layout.root;
  pid_t pid = ::fork();
  if (pid < 0) return Fail("fork failed");
  if (pid == 0) {
    ::setsid();
    int devnull = ::open("/dev/null", O_RDONLY);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    char* argv[] = {binary.data(), const_cast<char*>("--root"), root.data(), nullptr};
    ::execve(binary.c_str(), argv, envp.data());
    ::_exit(127);
  }
  (void)fs::AtomicWriteFile(PidFile(ctx.layout, d), std::to_string(pid) + "\n", 0644);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return Fail(std::string(d.binary) + " exited during start-up; its log '" + log_path +
                  "' ends with:\n" + LogTail(log_path));
    }
    if (Answers(socket)) {
      (*report)[d.name] = "started (pid " + std::to_string(pid) + ")";
      return kOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGTERM);
  return Fail(std::string(d.binary) + " did not answer on '" + socket + "' within 15 s; see '" +
              log_path + "'");
}

int Stop(const Context& ctx, const Daemon& d, Json* report) {
  std::string pid_file = PidFile(ctx.layout, d);
  pid_t pid = ReadPid(pid_file);
  if (!IsOurs(pid, d.binary)) {
    (void)fs::RemoveFile(pid_file);
    (*report)[d.name] = "not running";
    return kOk;
  }
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 500 && IsOurs(pid, d.binary); ++i) {
    ::waitpid(pid, nullptr, WNOHANG);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (IsOurs(pid, d.binary)) {
    ::kill(pid, SIGKILL);
    (*report)[d.name] = "killed after 10 s (pid " + std::to_string(pid) + ")";
  } else {
    (*report)[d.name] = "stopped (pid " + std::to_string(pid) + ")";
  }
  (void)fs::RemoveFile(pid_file);
  return kOk;
}

int NeedRoot(const Context& ctx) {
  if (ctx.layout.is_rooted()) return kOk;
  std::fprintf(
      stderr,
      "edgectl: without --root the services are systemd's to run; use --root DIR or systemctl\n");
  return kUsage;
}

std::string Text(const Json& report) {
  std::string text;
  for (const auto& [name, state] : report.items())
    text += name + ": " + state.get<std::string>() + "\n";
  return text;
}

int Up(Context& ctx) {
  if (int rc = NeedRoot(ctx)) return rc;
  for (const std::string& dir :
       {ctx.layout.run(), ctx.layout.logs(), ctx.layout.state(), ctx.layout.etc()})
    if (auto st = fs::MakeDirs(dir, 0755); !st) return Fail(st.error().Describe());
  Json report = Json::object();
  for (const auto& d : kDaemons)
    if (int rc = Start(ctx, d, &report)) return rc;
  // What OpenSSL programs (`-provider edgesec`) and SDK programs need to find these sockets.
  std::string env = "export";
  for (const char* name : {"keyd", "certd", "identityd", "workload"}) {
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    env += " EDGESEC_" + upper + "_SOCKET=" + ctx.layout.Socket(name);
  }
  ctx.Print(report, Text(report) + "for `openssl -provider edgesec` and SDK programs under this root:\n  " +
                        env + "\n");
  return kOk;
}

int Down(Context& ctx) {
  if (int rc = NeedRoot(ctx)) return rc;
  Json report = Json::object();
  for (auto it = std::rbegin(kDaemons); it != std::rend(kDaemons); ++it) Stop(ctx, *it, &report);
  ctx.Print(report, Text(report));
  return kOk;
}

}  // namespace

std::vector<Command> ProcessCommands() {
  return {
      {{"up"},
       "",
       0,
       0,
       "start the daemons under --root DIR in the background and wait until they answer",
       {},
       &Up},
      {{"down"}, "", 0, 0, "stop the daemons that `edgectl up --root DIR` started", {}, &Down},
  };
}

}  // namespace edgesec::cli

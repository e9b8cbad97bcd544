#include "common/systemd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common/log.hpp"

extern char** environ;

namespace edgesec::systemd {
namespace {

Expected<int> ActivatedSocket(const std::string& fd_name) {
  char** names = nullptr;
  int n = sd_listen_fds_with_names(0, &names);
  int found = -1;
  // By name; a single socket with a name of its own (systemd's default is the unit's name) also
  // serves — but never one named for another edgesec socket (identityd has two: a lone
  // "identityd" socket must not become the workload socket too).
  static const char* kOurNames[] = {"keyd", "certd", "identityd", "workload"};
  for (int i = 0; i < n; ++i) {
    const char* name = names != nullptr ? names[i] : "";
    bool ours = false;
    for (const char* o : kOurNames) ours = ours || std::strcmp(name, o) == 0;
    if (fd_name == name || (n == 1 && !ours)) found = SD_LISTEN_FDS_START + i;
  }
  if (names != nullptr) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  if (found >= 0 && sd_is_socket_unix(found, SOCK_STREAM, 1, nullptr, 0) <= 0)
    return MakeError(ErrorKind::kConfig, "systemd passed a socket for '" + fd_name +
                                             "' that is not a listening Unix stream socket");
  return found;
}

Status RemoveStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode))
    return MakeError(ErrorKind::kIo,
                     "'" + path + "' exists and is not a socket; refusing to remove it");
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  int rc = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::close(probe);
  if (rc == 0)
    return MakeError(ErrorKind::kIo, "another process is already serving '" + path + "'");
  if (err != ECONNREFUSED) return IoError("cannot probe existing socket '" + path + "'", err);
  if (::unlink(path.c_str()) != 0)
    return IoError("cannot remove stale socket '" + path + "'", errno);
  log::Info("removed stale socket '" + path + "'");
  return {};
}

}  // namespace

Expected<int> ListenSocket(const std::string& path, const std::string& fd_name, mode_t mode) {
  EDGESEC_ASSIGN_OR_RETURN(int activated, ActivatedSocket(fd_name));
  if (activated >= 0) {
    ::fcntl(activated, F_SETFD, FD_CLOEXEC);
    return activated;
  }
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return MakeError(ErrorKind::kConfig, "socket path '" + path + "' is longer than " +
                                             std::to_string(sizeof addr.sun_path - 1) + " bytes");
  EDGESEC_TRY(RemoveStaleSocket(path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError("cannot create a Unix socket", errno);
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  // No window in which the socket exists with a wider mode than asked for.
  mode_t old_umask = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::umask(old_umask);
  if (rc != 0) {
    ::close(fd);
    return IoError("cannot bind '" + path + "'", err);
  }
  // The largest queue (the kernel caps it at net.core.somaxconn): a uid flooding the socket with
  // connections the server closes at once must not fill the queue other uids connect through.
  if (::chmod(path.c_str(), mode) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return IoError("cannot listen on '" + path + "'", err);
  }
  return fd;
}

void ReleaseSocket(const std::string& path) {
  if (sd_listen_fds(0) > 0) return;  // systemd owns the socket unit's path
  ::unlink(path.c_str());
}

void NotifyReady(const std::string& status) {
  std::string msg = "READY=1\nSTATUS=" + status + "\nMAINPID=" + std::to_string(::getpid());
  sd_notify(0, msg.c_str());
}
void NotifyReloading() {
  sd_notify(0, "RELOADING=1");
}
void NotifyStopping() {
  sd_notify(0, "STOPPING=1");
}

Status StartUnit(const std::string& unit) {
  sd_bus* bus = nullptr;
  int r = sd_bus_open_system(&bus);
  if (r < 0) return IoError("cannot connect to the system bus to start '" + unit + "'", -r);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                         "org.freedesktop.systemd1.Manager", "StartUnit", &error, nullptr, "ss",
                         unit.c_str(), "replace");
  std::string why = r < 0 ? (error.message ? error.message : std::strerror(-r)) : "";
  sd_bus_error_free(&error);
  sd_bus_flush_close_unref(bus);
  if (r < 0) return MakeError(ErrorKind::kIo, "systemd refused to start '" + unit + "': " + why);
  return {};
}

void BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

void WaitForSignals(const std::function<void()>& on_reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      NotifyReloading();
      on_reload();
      sd_notify(0, "READY=1");
      continue;
    }
    log::Info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", stopping");
    NotifyStopping();
    return;
  }
}

std::vector<std::string> ChildEnvironment() {
  static const char* kMainOnly[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                    "LISTEN_FDS",    "LISTEN_PID",    "LISTEN_FDNAMES"};
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool main_only = false;
    for (const char* m : kMainOnly) main_only = main_only || name == m;
    if (!main_only) out.emplace_back(entry);
  }
  return out;
}

std::vector<char*> EnvPointers(std::vector<std::string>& env) {
  std::vector<char*> out;
  for (auto& e : env) out.push_back(e.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace edgesec::systemd

#pragma once
// systemd glue: socket activation with a fallback to binding the path, sd_notify, and the signal
// loop (SIGHUP reload, SIGTERM/SIGINT graceful stop). Works the same without systemd.

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace edgesec::systemd {

// The socket systemd passed with FileDescriptorName=`fd_name` (or the only one passed); otherwise
// binds `path` with `mode` and a backlog of 1024, replacing only a stale socket (nobody answering).
// The returned descriptor is listening and close-on-exec.
Expected<int> ListenSocket(const std::string& path, const std::string& fd_name, mode_t mode);

// At a clean stop: removes the socket file this process bound itself (not one systemd passed).
void ReleaseSocket(const std::string& path);

void NotifyReady(const std::string& status);
void NotifyReloading();
void NotifyStopping();

// Queues a start job for `unit` (StartUnit, mode "replace") on systemd's D-Bus API and returns
// without waiting for it. The caller needs polkit's permission unless it is root.
Status StartUnit(const std::string& unit);

// This process's environment for a child it runs (a hook, a daemon, a tool), without the variables
// systemd means for the main process only: NOTIFY_SOCKET (a child's messages are refused, "reception
// only permitted for main PID"), WATCHDOG_USEC/WATCHDOG_PID and LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES.
std::vector<std::string> ChildEnvironment();
// Pointers into `env`, ending in nullptr, for posix_spawn/execve (valid while `env` lives).
std::vector<char*> EnvPointers(std::vector<std::string>& env);

// Blocks SIGTERM, SIGINT and SIGHUP; call before any thread starts so every thread inherits the
// mask.
void BlockSignals();
// Waits for signals: SIGHUP runs on_reload (between RELOADING=1 and READY=1); returns on
// SIGTERM/SIGINT.
void WaitForSignals(const std::function<void()>& on_reload);

}  // namespace edgesec::systemd

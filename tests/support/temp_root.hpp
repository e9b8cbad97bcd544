#pragma once
// Test support: a short temp directory (Unix socket paths are limited to 108 bytes) and a keyd process
// started on it with the real binary, stopped (SIGTERM) when the fixture goes away.

#include <sys/types.h>

#include <string>
#include <vector>

namespace edgesec::testing {

class TempDir {
 public:
  TempDir();  // /tmp/es-XXXXXX, mode 0755 so that a dropped uid can reach sockets in it
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Path of a built binary, from the environment variable meson sets for tests (e.g. EDGESEC_KEYD).
std::string BinaryFromEnv(const char* variable);

class DaemonProcess {
 public:
  // Starts `binary --root root extra...` and waits (up to 10 s) until `socket` answers GET /version.
  DaemonProcess(std::string binary, std::string root, std::string socket, std::vector<std::string> extra = {});
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;
  pid_t pid() const { return pid_; }
  const std::string& socket() const { return socket_; }
  // SIGTERM and wait; returns the exit status (as waitpid reports it).
  int Stop();
  void Kill();  // SIGKILL, no clean-up

 private:
  pid_t pid_ = -1;
  std::string socket_;
};

// keyd on a fresh temp root: the common case.
struct KeydUnderTest {
  TempDir dir;
  DaemonProcess keyd;
  KeydUnderTest();
  std::string socket() const { return keyd.socket(); }
};

}  // namespace edgesec::testing

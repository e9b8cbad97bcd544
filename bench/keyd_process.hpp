#pragma once
// bench/keyd-sign support: keyd started from its binary under a temp root, timed from exec to its
// first answered GET /version and to READY=1 on a NOTIFY_SOCKET we own, and its memory figures.

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/error.hpp"

namespace edgesec::bench {

// A short temp directory (Unix socket paths are limited to 108 bytes), removed on destruction.
class BenchDir {
 public:
  BenchDir();
  ~BenchDir();
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// From /proc/<pid>/status, in KiB.
struct MemoryFigures {
  long vm_rss = -1;
  long rss_anon = -1;
  long vm_hwm = -1;
};
Expected<MemoryFigures> ReadMemoryFigures(pid_t pid);

// Sets the CPU affinity of every thread of `pid` (threads it starts later inherit it from their
// creator); cpu < 0 allows all CPUs again.
void PinProcess(pid_t pid, int cpu);

class KeydProcess {
 public:
  // Starts `binary --root root` with NOTIFY_SOCKET set, its stderr to root/keyd.log; returns once
  // READY=1 has arrived and GET /version has answered (kUnavailable after 10 s or if keyd exits).
  // `service` names the socket (root/run/edgesec/<service>.sock) and log (root/<service>.log): the
  // same start-up serves certd ("certd").
  static Expected<std::unique_ptr<KeydProcess>> Start(const std::string& binary,
                                                      const std::string& root,
                                                      const std::string& service = "keyd");
  ~KeydProcess();  // SIGTERM, then wait
  KeydProcess(const KeydProcess&) = delete;
  KeydProcess& operator=(const KeydProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& socket() const { return socket_; }
  double ready_ms() const { return ready_ms_; }      // exec → READY=1
  double version_ms() const { return version_ms_; }  // exec → first 200 from GET /version

 private:
  KeydProcess() = default;
  pid_t pid_ = -1;
  std::string socket_;
  double ready_ms_ = 0;
  double version_ms_ = 0;
};

}  // namespace edgesec::bench

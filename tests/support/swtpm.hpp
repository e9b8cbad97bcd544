#pragma once
// swtpm for tests: a software TPM 2.0 on free 127.0.0.1 ports with its own state directory, and
// optionally tpm2-abrmd (the TPM2 access broker / resource manager) on a private D-Bus session bus,
// for tests where several clients share the TPM.
//
// How keyd reaches it: put the TCTI in keyd's config,
//
//     [tpm]
//     tcti = "<Tcti()>"          # swtpm:host=127.0.0.1,port=P    or    tabrmd:bus_type=session
//
// Without abrmd, the swtpm TCTI connects once per command, so tpm2-tools can query the TPM while
// keyd runs; but there is no resource manager: transient objects of several clients share swtpm's 3
// slots and nobody flushes what a client leaves behind. Where several clients use the TPM at once,
// use abrmd: the constructor then sets DBUS_SESSION_BUS_ADDRESS in this process's environment to
// the private bus (tabrmd:bus_type=session finds abrmd through it), and the processes the test
// starts afterwards (keyd through DaemonProcess, tpm2-tools) inherit it. Hence: one Swtpm with
// abrmd per test process at a time.
//
// Failures throw std::runtime_error with the logs of the programs. Tests skip (exit 77) when
// Available() is false; CI installs swtpm, tpm2-abrmd and dbus (scripts/deps.sh).

#include <sys/types.h>

#include <string>

namespace edgesec::testing {

class Swtpm {
 public:
  // `dir` holds the TPM state (kept across Restart) and the logs; it must exist or be creatable.
  explicit Swtpm(const std::string& dir, bool with_abrmd);
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  // "swtpm:host=127.0.0.1,port=P", or "tabrmd:bus_type=session" with abrmd.
  std::string Tcti() const;
  // A power cycle: stops abrmd (if any) and swtpm, starts them again on the same state and ports.
  // Transient objects and sessions are gone, persistent objects stay.
  void Restart();
  // Whether swtpm (and tpm2-abrmd and dbus-daemon) are installed.
  static bool Available();

  int port() const { return port_; }

 private:
  void StartSwtpm();
  void StartAbrmd();
  void Stop();
  std::string dir_;
  bool with_abrmd_;
  int port_ = 0;
  pid_t swtpm_ = -1;
  pid_t dbus_ = -1;
  pid_t abrmd_ = -1;
};

}  // namespace edgesec::testing

#pragma once
// SoftHSM2 for tests: a fresh token in `dir`, with its own softhsm2.conf (directories.tokendir under
// `dir`), initialized with softhsm2-util --init-token --free. The constructor sets SOFTHSM2_CONF in this
// process's environment, so that keyd (DaemonProcess inherits the environment), pkcs11-tool and an
// engine loaded in-process all see this token and no other. Hence: one SoftHsm per test process at a
// time. Failures throw std::runtime_error with softhsm2-util's output. Tests skip (exit 77) when
// Available() is false; CI installs softhsm2 and opensc (scripts/deps.sh).
//
// How keyd reaches it: KeydSection() is the text of keyd's
//
//     [pkcs11]
//     lib_path = "/usr/lib/softhsm/libsofthsm2.so"
//     base_slot = "pkcs11:token=<label>?pin-value=<pin>"
//     security_level = 0

#include <string>

namespace edgesec::testing {

class SoftHsm {
 public:
  explicit SoftHsm(const std::string& dir, std::string label = "edgesec-test", std::string pin = "4711-user",
                   std::string so_pin = "4711-so");
  ~SoftHsm() = default;
  SoftHsm(const SoftHsm&) = delete;
  SoftHsm& operator=(const SoftHsm&) = delete;

  static bool Available();
  static std::string ModulePath();  // /usr/lib/softhsm/libsofthsm2.so

  const std::string& label() const { return label_; }
  const std::string& pin() const { return pin_; }
  const std::string& conf() const { return conf_; }
  const std::string& token_dir() const { return token_dir_; }

  // pkcs11:token=<label>?pin-value=<pin>
  std::string BaseSlot() const;
  // keyd's [pkcs11] section; `extra` lines are appended inside it.
  std::string KeydSection(const std::string& extra = "security_level = 0\n") const;

  // The token "goes away" (its directory moved aside) and "comes back".
  void RemoveToken();
  void RestoreToken();

 private:
  std::string dir_, label_, pin_, so_pin_, conf_, token_dir_;
};

}  // namespace edgesec::testing

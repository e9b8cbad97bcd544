#pragma once
// bench/pkcs11-sign's peer: the same SoftHSM2 token served by Debian's `p11-kit server` (remote
// PKCS#11 over a Unix socket), and p11-kit's client module (p11-kit-client.so) loaded in the bench
// process and driven with C_SignInit + C_Sign directly, one session per client thread.

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/error.hpp"

struct ck_function_list;

namespace edgesec::bench {

// `p11-kit server --foreground --provider <module> --name <dir>/p11-kit.sock <token_uri>` as a
// child process (its output in <dir>/p11-kit-server.log; it inherits SOFTHSM2_CONF); stopped with
// SIGTERM on destruction.
class P11KitServer {
 public:
  // Returns once the socket exists (kUnavailable if the server exits or 10 s pass).
  static Expected<std::unique_ptr<P11KitServer>> Start(const std::string& module,
                                                       const std::string& token_uri,
                                                       const std::string& dir);
  ~P11KitServer();
  P11KitServer(const P11KitServer&) = delete;
  P11KitServer& operator=(const P11KitServer&) = delete;

  // The value of P11_KIT_SERVER_ADDRESS for the client module: unix:path=<socket>.
  std::string address() const { return "unix:path=" + socket_; }
  pid_t pid() const { return pid_; }

 private:
  P11KitServer() = default;
  pid_t pid_ = -1;
  std::string socket_;
};

// p11-kit-client.so in this process, connected to `address` (set as P11_KIT_SERVER_ADDRESS before
// C_Initialize), logged in as the user of the token labelled `token_label`, with the private key
// labelled `key_label` found once. C_Finalize and dlclose on destruction.
class P11KitClient {
 public:
  static Expected<std::unique_ptr<P11KitClient>> Open(const std::string& module_path,
                                                      const std::string& address,
                                                      const std::string& token_label,
                                                      const std::string& pin,
                                                      const std::string& key_label);
  ~P11KitClient();
  P11KitClient(const P11KitClient&) = delete;
  P11KitClient& operator=(const P11KitClient&) = delete;

  // A read-only session of its own (0 on failure); one per thread.
  unsigned long OpenSession();
  void CloseSession(unsigned long session);
  // CKM_ECDSA over the 32-byte digest {0x5a, 0, …} on `session`: C_SignInit + C_Sign; the 64-byte
  // r||s into `raw` when given.
  bool Sign(unsigned long session, std::string* raw = nullptr);

 private:
  P11KitClient() = default;
  Status Connect(const std::string& token_label, const std::string& pin,
                 const std::string& key_label);
  void* dl_ = nullptr;
  ck_function_list* f_ = nullptr;
  bool initialized_ = false;
  unsigned long slot_ = 0;
  unsigned long login_session_ = 0;
  unsigned long key_ = 0;
};

}  // namespace edgesec::bench

#pragma once
// The project's EST test server (tests/est/est_server.py) as a test fixture: started with python3 on
// 127.0.0.1 on a free port in its own temp dir, with the given behaviour flags; stopped (SIGTERM) when
// the fixture goes away. Its test PKI is in dir(): root.pem (trust anchor for TLS and the issued
// chain), chain.pem (issuing CA + root). Every request is logged as one JSON line (Requests()).
// Failures throw std::runtime_error.

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/temp_root.hpp"

namespace edgesec::testing {

class EstServer {
 public:
  explicit EstServer(std::vector<std::string> flags = {});
  ~EstServer();
  EstServer(const EstServer&) = delete;
  EstServer& operator=(const EstServer&) = delete;

  int port() const { return port_; }
  // https://host:port, or http:// when the server was started with --plain-http.
  std::string BaseUrl(const std::string& host = "127.0.0.1") const;
  std::string dir() const { return dir_.path(); }
  std::string RootPem() const { return dir_.path() + "/root.pem"; }
  std::string ChainPem() const { return dir_.path() + "/chain.pem"; }
  // The request log, one JSON object per line.
  std::vector<std::string> Requests() const;

  static std::string ScriptPath();  // $EDGESEC_SOURCE_ROOT/tests/est/est_server.py

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool plain_http_ = false;
};

}  // namespace edgesec::testing

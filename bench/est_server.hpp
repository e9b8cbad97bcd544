#pragma once
// bench/est-enroll's EST server, built so that it is not the bottleneck: a child process serving
// POST /.well-known/est/simpleenroll over TLS (OpenSSL, TLS 1.2/1.3, no session tickets) on
// 127.0.0.1, one connection at a time. It checks the CSR's signature, issues an EC P-256-signed
// certificate (subject and key from the CSR, random serial, 30 days, CA:FALSE, digitalSignature,
// clientAuth, SKID/AKID) under its own root CA and answers base64 PKCS#7 certs-only (RFC 8951).
// Anything else gets a 404 or 400. The child records, in memory shared with the parent, how many
// enrollments it served and its CPU time after each, so the bench can tell the server's time per
// enrollment from the client's.

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/error.hpp"

namespace edgesec::bench {

class EstBenchServer {
 public:
  // Makes the root CA and the server certificate (SAN IP:127.0.0.1), writes the root to
  // <dir>/root.pem, listens on a free port and forks the serving child.
  static Expected<std::unique_ptr<EstBenchServer>> Start(const std::string& dir);
  ~EstBenchServer();  // SIGTERM, then wait
  EstBenchServer(const EstBenchServer&) = delete;
  EstBenchServer& operator=(const EstBenchServer&) = delete;

  std::string BaseUrl() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& RootPem() const { return root_pem_; }
  pid_t pid() const { return pid_; }

  struct Counters {
    long served = 0;         // certificates issued
    double cpu_seconds = 0;  // the server process's CPU time (user + system) after the last one
  };
  Counters Read() const;

  struct Shared;  // the counters in MAP_SHARED memory (defined in est_server.cpp)

 private:
  EstBenchServer() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string root_pem_;
  Shared* shared_ = nullptr;
};

}  // namespace edgesec::bench

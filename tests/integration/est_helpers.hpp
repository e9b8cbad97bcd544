#pragma once
// Shared by the EST client tests: a client for an EstServer, `openssl verify` of enrolled certs against
// the returned chain, and the server's request log.
#include <openssl/pem.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "certd/est/est_client.hpp"
#include "common/json.hpp"
#include "tests/support/est_server.hpp"
#include "tests/support/tls_peer.hpp"

namespace est = edgesec::certd::est;
using namespace edgesec;
using edgesec::testing::EstServer;

struct Waits {
  std::vector<long> seconds;
};

inline est::EstClient MakeClient(const EstServer& server, Waits* waits = nullptr, const std::string& host = "127.0.0.1",
                                 const std::string& label = "") {
  est::EstConfig config;
  config.base_url = server.BaseUrl(host);
  config.label = label;
  config.trusted_certs = {server.RootPem()};
  config.request_timeout = std::chrono::seconds(10);
  config.sleep = [waits](std::chrono::seconds s) {
    if (waits != nullptr) waits->seconds.push_back(static_cast<long>(s.count()));
  };
  auto client = est::EstClient::Create(std::move(config));
  INFO((client ? "" : client.error().Describe()));
  REQUIRE(client);
  return std::move(*client);
}

inline X509ReqPtr Csr(EVP_PKEY* key, const std::string& cn, std::vector<std::string> sans = {}) {
  est::CsrSpec spec;
  spec.subject = {{"CN", cn}, {"O", "edgesec tests"}};
  spec.sans = std::move(sans);
  spec.key = key;
  auto csr = est::BuildCsr(spec);
  INFO((csr ? "" : csr.error().Describe()));
  REQUIRE(csr);
  return std::move(*csr);
}

inline std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// `openssl verify` of `leaf` with `chain` as the only CA file (the root must be in it).
inline void RequireOpensslVerifies(const std::string& dir, X509* leaf, const std::vector<X509Ptr>& chain) {
  std::string pem;
  for (const auto& c : chain) pem += testing::ToPem(PEM_write_bio_X509, c.get());
  testing::WriteFile(dir + "/verify-chain.pem", pem);
  testing::WriteCert(dir + "/verify-leaf.pem", leaf);
  int rc = -1;
  std::string out = RunCommand("openssl verify -CAfile " + dir + "/verify-chain.pem " + dir + "/verify-leaf.pem", &rc);
  INFO(out);
  REQUIRE(rc == 0);
}

inline std::vector<Json> RequestLog(const EstServer& server) {
  std::vector<Json> out;
  for (const auto& line : server.Requests()) out.push_back(Json::parse(line));
  return out;
}

inline std::string SubjectOf(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

// A certificate from the server's CA for `key`, obtained by enrolling.
inline est::EnrollResult EnrollFor(est::EstClient& client, EVP_PKEY* key, const std::string& cn,
                                   std::vector<std::string> sans = {}) {
  auto csr = Csr(key, cn, std::move(sans));
  auto r = client.SimpleEnroll(csr.get());
  INFO((r ? "" : r.error().Describe()));
  REQUIRE(r);
  return std::move(*r);
}

inline est::ClientIdentity Identity(const est::EnrollResult& r, EVP_PKEY* key) {
  est::ClientIdentity id;
  X509_up_ref(r.cert.get());
  id.chain.emplace_back(r.cert.get());
  for (const auto& c : r.chain) {
    X509_up_ref(c.get());
    id.chain.emplace_back(c.get());
  }
  EVP_PKEY_up_ref(key);
  id.key.reset(key);
  return id;
}

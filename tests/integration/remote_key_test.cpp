// Keys held elsewhere, used here (DESIGN.md): the EVP_PKEY of keyd::LoadRemoteKey, whose private
// operations are keyd calls, signs certificates and CSRs that the openssl CLI accepts, and
// authenticates a TLS client to `openssl s_server -Verify 1` over TLS 1.2 and 1.3, with EC and RSA keys;
// Ed25519 keys sign too (the key belongs to the edgesec OpenSSL provider, keyd/client/provider/).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/fs.hpp"
#include "keyd/client/keyd_client.hpp"
#include "keyd/client/remote_key.hpp"
#include "tests/support/temp_root.hpp"
#include "tests/support/tls_peer.hpp"

using namespace edgesec;
using edgesec::testing::KeydUnderTest;
using namespace edgesec::testing;

namespace {

struct Remote {
  std::shared_ptr<keyd::KeydClient> client;
  std::string handle;
  EvpPkeyPtr key;
};

Remote MakeRemote(const KeydUnderTest& keyd, const std::string& id, const std::string& algorithm) {
  Remote r;
  r.client = std::make_shared<keyd::KeydClient>(keyd.socket());
  auto handle = r.client->CreateKeyPairIfNotExists(id, algorithm);
  REQUIRE(handle);
  r.handle = *handle;
  auto key = keyd::LoadRemoteKey(r.client, r.handle);
  INFO((key ? std::string() : key.error().Describe()));
  REQUIRE(key);
  r.key = std::move(*key);
  return r;
}


struct Run {
  int exit_code;
  std::string output;  // stdout and stderr
};

Run RunCommand(const std::string& command) {
  Run r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// `openssl verify` of a CA signed by the remote key and of a leaf that the CA issued.
void ProveCertificateSigning(const std::string& dir, const std::string& algorithm, const EVP_MD* md, bool pss,
                             int expected_signature_nid) {
  KeydUnderTest keyd;
  Remote ca_key = MakeRemote(keyd, "ca-" + algorithm, algorithm);
  X509Ptr ca = MakeCert({"keyd CA " + algorithm, true, "", ""}, ca_key.key.get(), nullptr, ca_key.key.get(), md, pss);
  EvpPkeyPtr leaf_key = LocalEcKey();
  X509Ptr leaf = MakeCert({"leaf " + algorithm, false, "serverAuth", "DNS:leaf.example"}, leaf_key.get(), ca.get(),
                          ca_key.key.get(), md, pss);
  CHECK(X509_get_signature_nid(ca.get()) == expected_signature_nid);
  CHECK(X509_get_signature_nid(leaf.get()) == expected_signature_nid);
  WriteCert(dir + "/ca.pem", ca.get());
  WriteCert(dir + "/leaf.pem", leaf.get());
  Run run = RunCommand("openssl verify -CAfile " + dir + "/ca.pem " + dir + "/leaf.pem");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("leaf.pem: OK") != std::string::npos);

  // Not vacuous: the same leaf does not verify under a CA of the same name with another key.
  EvpPkeyPtr other = LocalEcKey();
  X509Ptr impostor = MakeCert({"keyd CA " + algorithm, true, "", ""}, other.get(), nullptr, other.get(), EVP_sha256());
  WriteCert(dir + "/impostor.pem", impostor.get());
  Run bad = RunCommand("openssl verify -CAfile " + dir + "/impostor.pem " + dir + "/leaf.pem");
  INFO(bad.output);
  CHECK(bad.exit_code != 0);
}

}  // namespace

TEST_CASE("an EC P-256 keyd key signs a CA and a leaf that openssl verify accepts", "[remote_key]") {
  testing::TempDir dir;
  ProveCertificateSigning(dir.path(), "ec-p256", EVP_sha256(), false, NID_ecdsa_with_SHA256);
}

TEST_CASE("an EC P-384 keyd key signs a CA and a leaf that openssl verify accepts", "[remote_key]") {
  testing::TempDir dir;
  ProveCertificateSigning(dir.path(), "ec-p384", EVP_sha384(), false, NID_ecdsa_with_SHA384);
}

TEST_CASE("an RSA-2048 keyd key signs PKCS#1 v1.5 SHA-256 certificates that openssl verify accepts",
          "[remote_key]") {
  testing::TempDir dir;
  ProveCertificateSigning(dir.path(), "rsa-2048", EVP_sha256(), false, NID_sha256WithRSAEncryption);
}

TEST_CASE("an RSA-2048 keyd key signs RSASSA-PSS certificates (through RSA-NO-PADDING) that openssl verify accepts",
          "[remote_key]") {
  testing::TempDir dir;
  ProveCertificateSigning(dir.path(), "rsa-2048", EVP_sha256(), true, NID_rsassaPss);
}

TEST_CASE("a CSR signed by a keyd key passes openssl req -verify, and a tampered one does not", "[remote_key]") {
  testing::TempDir dir;
  KeydUnderTest keyd;
  for (const char* algorithm : {"ec-p256", "rsa-2048", "ec-p384"}) {
    SECTION(algorithm) {
      Remote key = MakeRemote(keyd, std::string("csr-") + algorithm, algorithm);
      UniquePtr<X509_REQ> req(X509_REQ_new());
      X509_REQ_set_version(req.get(), 0);
      X509_NAME* name = X509_REQ_get_subject_name(req.get());
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("device-1"), -1,
                                 -1, 0);
      REQUIRE(X509_REQ_set_pubkey(req.get(), key.key.get()) == 1);
      INFO(DrainOpenSslErrors());
      REQUIRE(X509_REQ_sign(req.get(), key.key.get(), EVP_sha256()) > 0);
      WriteFile(dir.path() + "/req.pem", ToPem(&PEM_write_bio_X509_REQ, req.get()));
      Run run = RunCommand("openssl req -in " + dir.path() + "/req.pem -verify -noout");
      INFO(run.output);
      CHECK(run.exit_code == 0);
      CHECK(run.output.find("verify OK") != std::string::npos);

      // Changing the subject after signing must break the signature.
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("tampered"), -1, -1, 0);
      WriteFile(dir.path() + "/tampered.pem", ToPem(&PEM_write_bio_X509_REQ, req.get()));
      Run bad = RunCommand("openssl req -in " + dir.path() + "/tampered.pem -verify -noout");
      INFO(bad.output);
      // OpenSSL 3.0's `req -verify` exits 0 even on a bad signature: judge by what it prints.
      CHECK(bad.output.find("verify failure") != std::string::npos);
      CHECK(bad.output.find("verify OK") == std::string::npos);
    }
  }
}

TEST_CASE("a keyd key authenticates a TLS client to openssl s_server", "[remote_key][tls]") {
  struct Case {
    const char* algorithm;
    int version;
    const char* protocol;
    const char* sigalgs;  // client's list; nullptr: OpenSSL's defaults
    int expected_nid;     // signature type of the client's CertificateVerify, as the client saw it
    const char* seen;     // and as s_server saw it
  };
  const Case cases[] = {
      {"ec-p256", TLS1_3_VERSION, "TLSv1.3", nullptr, EVP_PKEY_EC, "ECDSA"},
      {"ec-p256", TLS1_2_VERSION, "TLSv1.2", nullptr, EVP_PKEY_EC, "ECDSA"},
      {"ec-p384", TLS1_3_VERSION, "TLSv1.3", nullptr, EVP_PKEY_EC, "ECDSA"},
      {"rsa-2048", TLS1_3_VERSION, "TLSv1.3", nullptr, EVP_PKEY_RSA_PSS, "RSA-PSS"},  // PSS via RSA-NO-PADDING
      {"rsa-2048", TLS1_2_VERSION, "TLSv1.2", nullptr, EVP_PKEY_RSA_PSS, "RSA-PSS"},
      {"rsa-2048", TLS1_2_VERSION, "TLSv1.2", "RSA+SHA256:ECDSA+SHA256", EVP_PKEY_RSA, "RSA"},  // PKCS#1 v1.5
  };
  KeydUnderTest keyd;
  for (const Case& c : cases) {
    std::string name = std::string(c.algorithm) + " " + c.protocol + (c.sigalgs ? " PKCS#1" : "");
    SECTION(name) {
      testing::TempDir dir;
      Remote key = MakeRemote(keyd, std::string("tls-") + c.algorithm, c.algorithm);
      TlsPki pki(dir.path(), key.key.get(), "keyd-client");
      TlsServer server(dir.path());
      TlsOutcome out = ConnectWithClientCert(server.port(), c.version, pki.client.get(), key.key.get(), pki.ca.get(),
                                             c.sigalgs);
      RequireVerifiedClient(out, server, "keyd-client", c.protocol, c.seen);
      CHECK(out.signature_nid == c.expected_nid);
    }
  }
}

TEST_CASE("a keyd key whose certificate does not match is refused", "[remote_key][tls]") {
  KeydUnderTest keyd;
  testing::TempDir dir;
  Remote key = MakeRemote(keyd, "tls-client", "ec-p256");
  EvpPkeyPtr stranger = LocalEcKey();
  TlsPki pki(dir.path(), stranger.get(), "stranger");

  SECTION("by the client library: the certificate's key is not the keyd key") {
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    REQUIRE(SSL_CTX_use_certificate(ctx.get(), pki.client.get()) == 1);
    CHECK(SSL_CTX_use_PrivateKey(ctx.get(), key.key.get()) != 1);
    DrainOpenSslErrors();
  }
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SECTION(std::string("by the server: keyd signs with another key than the certificate's, ") +
            (version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2")) {
      // The EVP_PKEY keeps the public half it was loaded with, while keyd's key under that id is
      // replaced: the client presents a matching certificate, but its CertificateVerify cannot verify.
      X509Ptr cert = MakeCert({"keyd-client", false, "clientAuth", ""}, key.key.get(), pki.ca.get(),
                              pki.ca_key.get(), EVP_sha256());
      auto other = key.client->CreateKeyPairIfNotExists("tls-other", "ec-p256");
      REQUIRE(other);
      REQUIRE(key.client->MoveKeyPair("tls-other", "tls-client"));
      TlsServer server(dir.path());
      TlsOutcome out = ConnectWithClientCert(server.port(), version, cert.get(), key.key.get(), pki.ca.get());
      INFO("client errors: " << out.errors << "\ns_server log:\n" << server.Log() << "\npage:\n" << out.page);
      CHECK(out.page.find("Client certificate") == std::string::npos);
      CHECK(out.page.find("HTTP/1.0 200") == std::string::npos);
      CHECK(server.LogShows("tls_process_cert_verify:bad signature"));
    }
  }
}

TEST_CASE("a copy of a keyd key (EVP_PKEY_dup) signs through keyd and both free cleanly", "[remote_key]") {
  KeydUnderTest keyd;
  Remote key = MakeRemote(keyd, "dup-ec", "ec-p256");
  EvpPkeyPtr copy(EVP_PKEY_dup(key.key.get()));
  REQUIRE(copy);
  key.key.reset();  // the copy must not depend on the original's keyd context
  const unsigned char message[] = "signed by a copy";
  EvpMdCtxPtr sign_ctx(EVP_MD_CTX_new());
  unsigned char sig[128];
  size_t len = sizeof sig;
  REQUIRE(EVP_DigestSignInit(sign_ctx.get(), nullptr, EVP_sha256(), nullptr, copy.get()) == 1);
  REQUIRE(EVP_DigestSign(sign_ctx.get(), sig, &len, message, sizeof message) == 1);
  auto pub = key.client->PublicKey(key.handle);
  REQUIRE(pub);
  EvpMdCtxPtr verify_ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(verify_ctx.get(), nullptr, EVP_sha256(), nullptr, pub->get()) == 1);
  CHECK(EVP_DigestVerify(verify_ctx.get(), sig, len, message, sizeof message) == 1);
}

TEST_CASE("an Ed25519 keyd key signs through the provider (EVP_DigestSign, no digest)", "[remote_key]") {
  KeydUnderTest keyd;
  Remote key = MakeRemote(keyd, "ed-key", "ed25519");
  CHECK(EVP_PKEY_is_a(key.key.get(), "ED25519"));
  const unsigned char message[] = "pure EdDSA over the message";
  EvpMdCtxPtr sign_ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  size_t len = sizeof sig;
  REQUIRE(EVP_DigestSignInit(sign_ctx.get(), nullptr, nullptr, nullptr, key.key.get()) == 1);
  REQUIRE(EVP_DigestSign(sign_ctx.get(), sig, &len, message, sizeof message) == 1);
  CHECK(len == 64);
  auto pub = key.client->PublicKey(key.handle);
  REQUIRE(pub);
  EvpMdCtxPtr verify_ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(verify_ctx.get(), nullptr, nullptr, nullptr, pub->get()) == 1);
  CHECK(EVP_DigestVerify(verify_ctx.get(), sig, len, message, sizeof message) == 1);
  sig[10] ^= 1;  // a fresh context: a one-shot context is spent after one verification
  EvpMdCtxPtr again(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(again.get(), nullptr, nullptr, nullptr, pub->get()) == 1);
  CHECK(EVP_DigestVerify(again.get(), sig, len, message, sizeof message) == 0);
}

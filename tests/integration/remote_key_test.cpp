// Keys held elsewhere, used here (DESIGN.md): the EVP_PKEY of keyd::LoadRemoteKey, whose private
// operations are keyd calls, signs certificates and CSRs that the openssl CLI accepts, and
// authenticates a TLS client to `openssl s_server -Verify 1` over TLS 1.2 and 1.3, with EC and RSA keys.
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

using namespace edgesec;
using edgesec::testing::KeydUnderTest;

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

EvpPkeyPtr LocalEcKey() { return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

struct CertSpec {
  std::string cn;
  bool ca = false;
  std::string eku;  // e.g. "clientAuth"; empty: none
  std::string san;  // e.g. "IP:127.0.0.1"; empty: none
};

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  UniquePtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  REQUIRE(ext);
  REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

// A v3 certificate for `subject_key`, issued by `issuer` (nullptr: self-signed) and signed by `signer`
// with `md`; `pss` asks for an RSASSA-PSS signature (salt length = digest length).
X509Ptr MakeCert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* signer, const EVP_MD* md,
                 bool pss = false) {
  X509Ptr cert(X509_new());
  REQUIRE(X509_set_version(cert.get(), X509_VERSION_3) == 1);
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), (serial >> 1) | 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  REQUIRE(X509_set_pubkey(cert.get(), subject_key) == 1);
  X509* issuer_for_ext = issuer ? issuer : cert.get();
  AddExtension(cert.get(), issuer_for_ext, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExtension(cert.get(), issuer_for_ext, NID_key_usage,
               spec.ca ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature,keyEncipherment");
  AddExtension(cert.get(), issuer_for_ext, NID_subject_key_identifier, "hash");
  if (issuer) AddExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  if (!spec.eku.empty()) AddExtension(cert.get(), issuer_for_ext, NID_ext_key_usage, spec.eku);
  if (!spec.san.empty()) AddExtension(cert.get(), issuer_for_ext, NID_subject_alt_name, spec.san);

  EvpMdCtxPtr mdctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestSignInit(mdctx.get(), &pctx, md, nullptr, signer) == 1 &&
            (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
            X509_sign_ctx(cert.get(), mdctx.get()) > 0;
  INFO("signing '" << spec.cn << "': " << DrainOpenSslErrors());
  REQUIRE(ok);
  return cert;
}

template <class T>
std::string ToPem(int (*write)(BIO*, const T*), const T* object) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(write(bio.get(), object) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

void WriteFile(const std::string& path, const std::string& text) { REQUIRE(fs::AtomicWriteFile(path, text, 0600)); }
void WriteCert(const std::string& path, X509* cert) { WriteFile(path, ToPem(&PEM_write_bio_X509, cert)); }

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

// ---- TLS client authentication against openssl s_server ----

int FreeLocalPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// `openssl s_server -www -Verify 1` on a free 127.0.0.1 port for one connection; its output goes to a log.
class TlsServer {
 public:
  explicit TlsServer(const std::string& dir) : log_(dir + "/s_server.log") {
    // Another process may take the free port before s_server binds it: try a few.
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) TryStart(dir, FreeLocalPort());
    INFO("s_server log:\n" << Log());
    REQUIRE(pid_ > 0);
  }
  ~TlsServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  // s_server may log a failure after it has sent its alert: wait a little for `text`.
  bool LogShows(const std::string& text) const {
    for (int i = 0; i < 500 && Log().find(text) == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return Log().find(text) != std::string::npos;
  }
  std::string Log() const {
    auto text = fs::ReadFile(log_, 1 << 20);
    return text ? *text : std::string();
  }
  int port() const { return port_; }

 private:
  void TryStart(const std::string& dir, int port) {
    port_ = port;
    std::vector<std::string> args = {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                     "-cert", dir + "/server.pem", "-key", dir + "/server.key",
                                     "-CAfile", dir + "/ca.pem", "-Verify", "1", "-verify_return_error",
                                     "-www", "-naccept", "1"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execvp("openssl", argv.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Log().find("ACCEPT") == std::string::npos) {
      bool exited = ::waitpid(pid_, nullptr, WNOHANG) == pid_;
      if (exited || std::chrono::steady_clock::now() > deadline) {
        if (!exited) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, nullptr, 0);
        }
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

struct TlsOutcome {
  bool handshake = false;
  int signature_nid = NID_undef;  // of the client's CertificateVerify
  std::string page;               // s_server's -www status page
  std::string errors;
};

TlsOutcome ConnectWithClientCert(int port, int version, X509* cert, EVP_PKEY* key, X509* ca,
                                 const char* sigalgs = nullptr) {
  TlsOutcome out;
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(ctx);
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  REQUIRE(SSL_CTX_use_certificate(ctx.get(), cert) == 1);
  INFO(DrainOpenSslErrors());
  REQUIRE(SSL_CTX_use_PrivateKey(ctx.get(), key) == 1);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (sigalgs) REQUIRE(SSL_CTX_set1_sigalgs_list(ctx.get(), sigalgs) == 1);

  BIO* connection = BIO_new_connect(("127.0.0.1:" + std::to_string(port)).c_str());
  REQUIRE((connection != nullptr && BIO_do_connect(connection) == 1));
  SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_bio(ssl.get(), connection, connection);  // owned by ssl from here on
  if (SSL_connect(ssl.get()) == 1) {
    out.handshake = true;
    SSL_get_signature_type_nid(ssl.get(), &out.signature_nid);
    const char request[] = "GET / HTTP/1.0\r\n\r\n";
    if (SSL_write(ssl.get(), request, sizeof request - 1) > 0) {
      char buf[4096];
      int n;
      while ((n = SSL_read(ssl.get(), buf, sizeof buf)) > 0) out.page.append(buf, static_cast<size_t>(n));
    }
  }
  out.errors = DrainOpenSslErrors();
  return out;
}

// A test CA, a server certificate for 127.0.0.1 and a client certificate for `client_key`, written
// where TlsServer expects them.
struct TlsPki {
  EvpPkeyPtr ca_key = LocalEcKey();
  X509Ptr ca;
  EvpPkeyPtr server_key = LocalEcKey();
  X509Ptr server;
  X509Ptr client;
  TlsPki(const std::string& dir, EVP_PKEY* client_key, const std::string& client_cn) {
    ca = MakeCert({"edgesec test CA", true, "", ""}, ca_key.get(), nullptr, ca_key.get(), EVP_sha256());
    server = MakeCert({"127.0.0.1", false, "serverAuth", "IP:127.0.0.1"}, server_key.get(), ca.get(), ca_key.get(),
                      EVP_sha256());
    client = MakeCert({client_cn, false, "clientAuth", ""}, client_key, ca.get(), ca_key.get(), EVP_sha256());
    WriteCert(dir + "/ca.pem", ca.get());
    WriteCert(dir + "/server.pem", server.get());
    auto key_pem = PrivateKeyToPkcs8Pem(server_key.get());
    REQUIRE(key_pem);
    WriteFile(dir + "/server.key", *key_pem);
  }
};

// The server checked the client certificate: s_server's status page shows it and a clean verification.
void RequireVerifiedClient(const TlsOutcome& out, const TlsServer& server, const std::string& client_cn,
                           const char* protocol, const char* peer_signature_type) {
  INFO("client errors: " << out.errors << "\ns_server log:\n" << server.Log() << "\npage:\n" << out.page);
  REQUIRE(out.handshake);
  CHECK(out.page.find("HTTP/1.0 200 ok") != std::string::npos);
  CHECK(out.page.find(std::string("Protocol  : ") + protocol) != std::string::npos);
  CHECK(out.page.find("Client certificate") != std::string::npos);
  CHECK(out.page.find("Subject: CN=" + client_cn) != std::string::npos);
  CHECK(out.page.find("Verify return code: 0 (ok)") != std::string::npos);
  CHECK(out.page.find(std::string("Peer signature type: ") + peer_signature_type + "\n") != std::string::npos);
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

#include "tests/support/tls_peer.hpp"

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

#include <chrono>
#include <thread>
#include <vector>

#include "common/fs.hpp"

namespace edgesec::testing {
namespace {

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  UniquePtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  REQUIRE(ext);
  REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

}  // namespace

EvpPkeyPtr LocalEcKey() { return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

// A v3 certificate for `subject_key`, issued by `issuer` (nullptr: self-signed) and signed by `signer`
// with `md`; `pss` asks for an RSASSA-PSS signature (salt length = digest length).
X509Ptr MakeCert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* signer, const EVP_MD* md,
                 bool pss) {
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

void WriteFile(const std::string& path, const std::string& text) { REQUIRE(fs::AtomicWriteFile(path, text, 0600)); }
void WriteCert(const std::string& path, X509* cert) { WriteFile(path, ToPem(&PEM_write_bio_X509, cert)); }

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


TlsServer::TlsServer(const std::string& dir) : log_(dir + "/s_server.log") {
  // Another process may take the free port before s_server binds it: try a few.
  for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) TryStart(dir, FreeLocalPort());
  INFO("s_server log:\n" << Log());
  REQUIRE(pid_ > 0);
}

TlsServer::~TlsServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

bool TlsServer::LogShows(const std::string& text) const {
  for (int i = 0; i < 500 && Log().find(text) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return Log().find(text) != std::string::npos;
}

std::string TlsServer::Log() const {
  auto text = fs::ReadFile(log_, 1 << 20);
  return text ? *text : std::string();
}

void TlsServer::TryStart(const std::string& dir, int port) {
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

TlsOutcome ConnectWithClientCert(int port, int version, X509* cert, EVP_PKEY* key, X509* ca,
                                 const char* sigalgs) {
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

TlsPki::TlsPki(const std::string& dir, EVP_PKEY* client_key, const std::string& client_cn)
    : ca_key(LocalEcKey()), server_key(LocalEcKey()) {
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


TlsClientAuthResult ConnectWithClientKey(const std::string& dir, EVP_PKEY* client_key, int version, const char* sigalgs) {
  TlsPki pki(dir, client_key, "edgesec-client");
  TlsServer server(dir);
  TlsOutcome out = ConnectWithClientCert(server.port(), version, pki.client.get(), client_key, pki.ca.get(), sigalgs);
  TlsClientAuthResult r;
  r.handshake = out.handshake;
  r.signature_nid = out.signature_nid;
  r.page = out.page;
  r.errors = out.errors;
  r.server_log = server.Log();
  r.verified = out.handshake && out.page.find("Client certificate") != std::string::npos &&
               out.page.find("Subject: CN=edgesec-client") != std::string::npos &&
               out.page.find("Verify return code: 0 (ok)") != std::string::npos;
  return r;
}

}  // namespace edgesec::testing

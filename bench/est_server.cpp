#include "bench/est_server.hpp"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <optional>

#include "common/fs.hpp"
#include "common/ossl.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::bench {

struct EstBenchServer::Shared {
  std::atomic<long> served{0};
  std::atomic<long> cpu_ns{0};
};

namespace {

constexpr size_t kMaxRequest = 64 * 1024;
constexpr const char* kPath = "/.well-known/est/simpleenroll";

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  UniquePtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (ext) X509_add_ext(cert, ext.get(), -1);
}

enum class Kind { kRoot, kServer, kClient };

// A certificate for `key` named `subject`, issued by `issuer` (nullptr: self-signed) with `signer`.
X509Ptr MakeCert(const X509_NAME* subject, EVP_PKEY* key, X509* issuer, EVP_PKEY* signer,
                 Kind kind) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 86400);
  X509_set_subject_name(cert.get(), subject);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer != nullptr ? issuer : cert.get()));
  X509_set_pubkey(cert.get(), key);
  X509* by = issuer != nullptr ? issuer : cert.get();
  AddExt(cert.get(), by, NID_basic_constraints,
         kind == Kind::kRoot ? "critical,CA:TRUE" : "CA:FALSE");
  AddExt(cert.get(), by, NID_key_usage,
         kind == Kind::kRoot ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  AddExt(cert.get(), by, NID_subject_key_identifier, "hash");
  if (kind != Kind::kRoot) AddExt(cert.get(), by, NID_authority_key_identifier, "keyid");
  if (kind == Kind::kServer) {
    AddExt(cert.get(), by, NID_ext_key_usage, "serverAuth");
    AddExt(cert.get(), by, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  if (kind == Kind::kClient) AddExt(cert.get(), by, NID_ext_key_usage, "clientAuth");
  if (X509_sign(cert.get(), signer, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

X509Ptr MakeNamed(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* signer, Kind kind) {
  X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  return MakeCert(name.get(), key, issuer, signer, kind);
}

// The base64 body of a simpleenroll request (any line breaks) → the certificate for its CSR, as
// base64 PKCS#7 certs-only; nullopt for a body that is not a CSR with a valid signature.
std::optional<std::string> Enroll(const std::string& body, X509* ca, EVP_PKEY* ca_key) {
  std::string b64;
  std::copy_if(body.begin(), body.end(), std::back_inserter(b64),
               [](char c) { return !std::isspace(static_cast<unsigned char>(c)); });
  if (b64.empty() || b64.size() % 4 != 0) return std::nullopt;
  std::string der(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n <= 0) return std::nullopt;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509ReqPtr csr(d2i_X509_REQ(nullptr, &p, n));  // trailing zero bytes of the padding are ignored
  EVP_PKEY* key = csr ? X509_REQ_get0_pubkey(csr.get()) : nullptr;
  if (key == nullptr || X509_REQ_verify(csr.get(), key) != 1) return std::nullopt;
  X509Ptr cert = MakeCert(X509_REQ_get_subject_name(csr.get()), key, ca, ca_key, Kind::kClient);
  UniquePtr<PKCS7> p7(PKCS7_new());
  if (!cert || !p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 ||
      PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1 ||
      PKCS7_add_certificate(p7.get(), cert.get()) != 1)
    return std::nullopt;
  unsigned char* out = nullptr;
  int len = i2d_PKCS7(p7.get(), &out);
  if (len <= 0) return std::nullopt;
  std::string encoded(static_cast<size_t>((len + 2) / 3 * 4 + 1), '\0');
  int m = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), out, len);
  OPENSSL_free(out);
  encoded.resize(static_cast<size_t>(m));
  std::string wrapped;
  for (size_t i = 0; i < encoded.size(); i += 64) wrapped += encoded.substr(i, 64) + "\r\n";
  return wrapped;
}

// Reads one request (headers up to the blank line, then Content-Length bytes of body).
bool ReadRequest(SSL* ssl, std::string& head, std::string& body) {
  std::string data;
  char buf[4096];
  size_t end = std::string::npos, want = 0;
  for (;;) {
    if (end == std::string::npos && (end = data.find("\r\n\r\n")) != std::string::npos) {
      head = data.substr(0, end);
      std::string lower = head;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      size_t cl = lower.find("\r\ncontent-length:");
      want = cl == std::string::npos ? 0 : std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
      if (want > kMaxRequest) return false;
    }
    if (end != std::string::npos && data.size() >= end + 4 + want) {
      body = data.substr(end + 4, want);
      return true;
    }
    if (data.size() > kMaxRequest) return false;
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
  }
}

void Respond(SSL* ssl, const char* status, const char* type, const std::string& body) {
  std::string out = std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n";
  if (std::strncmp(status, "200", 3) == 0) out += "Content-Transfer-Encoding: base64\r\n";
  out += "\r\n" + body;
  SSL_write(ssl, out.data(), static_cast<int>(out.size()));
}

// One connection: TLS handshake, one request, one answer, close. True when a certificate was
// issued.
bool ServeOne(SSL_CTX* tls, int fd, X509* ca, EVP_PKEY* ca_key) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SslPtr ssl(SSL_new(tls));
  SSL_set_fd(ssl.get(), fd);
  bool issued = false;
  std::string head, body;
  if (SSL_accept(ssl.get()) == 1 && ReadRequest(ssl.get(), head, body)) {
    if (head.rfind(std::string("POST ") + kPath + " ", 0) != 0) {
      Respond(ssl.get(), "404 Not Found", "text/plain", "only POST " + std::string(kPath) + "\n");
    } else if (auto p7 = Enroll(body, ca, ca_key)) {
      Respond(ssl.get(), "200 OK", "application/pkcs7-mime; smime-type=certs-only", *p7);
      issued = true;
    } else {
      Respond(ssl.get(), "400 Bad Request", "text/plain",
              "the body is not a base64 CSR with a valid signature\n");
    }
    SSL_shutdown(ssl.get());
  }
  ::close(fd);
  ERR_clear_error();
  return issued;
}

[[noreturn]] void ChildMain(int listen_fd, SSL_CTX* tls, X509* ca, EVP_PKEY* ca_key,
                            EstBenchServer::Shared* shared) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a bench that died
  ::signal(SIGPIPE, SIG_IGN);
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    bool issued = ServeOne(tls, fd, ca, ca_key);
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    shared->cpu_ns = static_cast<long>(ts.tv_sec) * 1000000000L + ts.tv_nsec;
    if (issued) ++shared->served;
  }
}

Expected<int> Listen(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError("socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    ::close(fd);
    return IoError("listening on 127.0.0.1", e);
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

Expected<std::unique_ptr<EstBenchServer>> EstBenchServer::Start(const std::string& dir) {
  std::unique_ptr<EstBenchServer> s(new EstBenchServer);
  EvpPkeyPtr ca_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  EvpPkeyPtr tls_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!ca_key || !tls_key) return OpenSslError("EC P-256 key generation");
  X509Ptr ca =
      MakeNamed("edgesec bench EST root", ca_key.get(), nullptr, ca_key.get(), Kind::kRoot);
  X509Ptr tls_cert =
      ca ? MakeNamed("127.0.0.1", tls_key.get(), ca.get(), ca_key.get(), Kind::kServer) : nullptr;
  if (!tls_cert) return OpenSslError("making the EST server's certificates");
  auto pem = x509::ToPem(ca.get());
  if (!pem) return pem.error();
  s->root_pem_ = dir + "/root.pem";
  if (Status st = fs::AtomicWriteFile(s->root_pem_, *pem, 0644); !st) return st.error();
  SslCtxPtr tls(SSL_CTX_new(TLS_server_method()));
  if (!tls || SSL_CTX_use_certificate(tls.get(), tls_cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(tls.get(), tls_key.get()) != 1 ||
      SSL_CTX_add1_chain_cert(tls.get(), ca.get()) != 1)
    return OpenSslError("the EST server's TLS context");
  SSL_CTX_set_min_proto_version(tls.get(), TLS1_2_VERSION);
  SSL_CTX_set_num_tickets(tls.get(), 0);  // the clients never resume a session
  SSL_CTX_set_session_cache_mode(tls.get(), SSL_SESS_CACHE_OFF);
  EDGESEC_ASSIGN_OR_RETURN(int listen_fd, Listen(&s->port_));
  void* mem =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    ::close(listen_fd);
    return IoError("mmap", errno);
  }
  s->shared_ = new (mem) Shared;
  s->pid_ = ::fork();
  if (s->pid_ == 0) ChildMain(listen_fd, tls.get(), ca.get(), ca_key.get(), s->shared_);
  ::close(listen_fd);
  if (s->pid_ < 0) return IoError("fork for the EST server", errno);
  return s;
}

EstBenchServer::~EstBenchServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  if (shared_ != nullptr) ::munmap(shared_, sizeof(Shared));
}

EstBenchServer::Counters EstBenchServer::Read() const {
  return Counters{shared_->served.load(), static_cast<double>(shared_->cpu_ns.load()) / 1e9};
}

}  // namespace edgesec::bench

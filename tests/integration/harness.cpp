#include "tests/integration/harness.hpp"

#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/base64.hpp"

namespace edgesec::testing {

RunResult Run(const std::vector<std::string>& argv, const std::string& input) {
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  size_t written = 0;
  if (input.empty()) ::close(in[1]), in[1] = -1;
  RunResult r;
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
  int open_outputs = 2;
  while (open_outputs > 0) {
    fds[2].fd = in[1];
    if (::poll(fds, 3, -1) < 0) continue;
    if (in[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(in[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n <= 0 || written == input.size()) ::close(in[1]), in[1] = -1;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_outputs;
      }
    }
  }
  if (in[1] >= 0) ::close(in[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CurlReply CurlRaw(const std::string& socket, const std::string& method, const std::string& path_and_query,
                  const std::optional<std::string>& body, const std::string& content_type) {
  std::vector<std::string> argv = {"curl", "-sS", "--unix-socket", socket, "-X", method, "-o", "-",
                                   "-w", "\n%{http_code}", "http://keyd.sock" + path_and_query};
  if (body) {
    argv.insert(argv.end() - 1, {"--data-binary", "@-"});
    // An empty content type sends none at all ("Content-Type:" removes curl's default).
    argv.insert(argv.end() - 1, {"-H", content_type.empty() ? "Content-Type:" : "Content-Type: " + content_type});
  }
  RunResult run = Run(argv, body.value_or(""));
  INFO("curl " << method << " " << path_and_query << ": " << run.err);
  REQUIRE(run.exit_code == 0);
  CurlReply reply;
  size_t nl = run.out.rfind('\n');
  REQUIRE(nl != std::string::npos);
  reply.status = std::stol(run.out.substr(nl + 1));
  reply.body = run.out.substr(0, nl);
  reply.json = Json::parse(reply.body, nullptr, false);
  return reply;
}

std::string At(const std::string& route, const std::string& version) { return route + "?api-version=" + version; }

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  if (!object.is_object()) return keys;
  for (const auto& [k, v] : object.items()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string B64(const Bytes& b) { return Base64Encode(b); }

Bytes Unb64(const std::string& text) {
  auto b = Base64Decode(text);
  INFO("base64 text: " << text);
  REQUIRE(b.has_value());
  return *b;
}

void WriteBinaryFile(const std::string& path, const Bytes& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(f.good());
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Bytes Sha256Of(const Bytes& data) { return Sha256(data.data(), data.size()); }

Bytes Sha384Of(const Bytes& data) {
  Bytes out(48);
  unsigned int len = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha384(), nullptr) == 1);
  return out;
}

Bytes HmacSha256(const Bytes& key, const Bytes& data) {
  Bytes mac(32);
  unsigned int len = 32;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), mac.data(), &len) !=
          nullptr);
  return mac;
}

EvpPkeyPtr GenerateKey(const std::string& algorithm) {
  EVP_PKEY* key = nullptr;
  if (algorithm == "ec-p256") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  else if (algorithm == "ec-p384") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  else if (algorithm.rfind("rsa-", 0) == 0)
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoul(algorithm.substr(4))));
  else if (algorithm == "ed25519") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  INFO("generating " << algorithm);
  REQUIRE(key != nullptr);
  return EvpPkeyPtr(key);
}

std::string PublicPem(EVP_PKEY* key) { return MUST(PublicKeyToPem(key)); }

Bytes CurveOidDer(int nid) {
  unsigned char* der = nullptr;
  int len = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &der);
  REQUIRE(len > 0);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

bool VerifyDigest(EVP_PKEY* pub, const Bytes& digest, const Bytes& signature, RsaScheme rsa) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return false;
  if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
    bool pss = rsa == RsaScheme::kPss;
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
      return false;
    // PSS as API.md fixes it: MGF1-SHA256, salt length = digest length (verified strictly).
    if (pss && (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), 32) != 1))
      return false;
  }
  int rc = EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size());
  DrainOpenSslErrors();
  return rc == 1;
}

bool VerifyEd25519(EVP_PKEY* pub, const Bytes& message, const Bytes& signature) {
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  bool ok = md && EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, pub) == 1 &&
            EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
  DrainOpenSslErrors();
  return ok;
}

std::optional<Bytes> RsaRecover(EVP_PKEY* pub, const Bytes& signature, int padding) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub, nullptr));
  size_t len = static_cast<size_t>(EVP_PKEY_get_size(pub));
  Bytes out(len);
  bool ok = ctx && EVP_PKEY_verify_recover_init(ctx.get()) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding) == 1 &&
            EVP_PKEY_verify_recover(ctx.get(), out.data(), &len, signature.data(), signature.size()) == 1;
  DrainOpenSslErrors();
  if (!ok) return std::nullopt;
  out.resize(len);
  return out;
}

Bytes AesGcmEncrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& plaintext) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + 16);
  int len = 0;
  REQUIRE(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1);
  REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) == 1);
  REQUIRE(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) == 1);
  if (!aad.empty()) REQUIRE(EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1);
  REQUIRE(EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) == 1);
  REQUIRE(EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &len) == 1);
  REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + plaintext.size()) == 1);
  return out;
}

std::optional<Bytes> AesGcmDecrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& sealed) {
  if (sealed.size() < 16) return std::nullopt;
  size_t body = sealed.size() - 16;
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(body + 16);
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1) &&
            EVP_DecryptUpdate(ctx.get(), out.data(), &len, sealed.data(), static_cast<int>(body)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, const_cast<unsigned char*>(sealed.data() + body)) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) == 1;
  DrainOpenSslErrors();
  if (!ok) return std::nullopt;
  out.resize(body);
  return out;
}

}  // namespace edgesec::testing

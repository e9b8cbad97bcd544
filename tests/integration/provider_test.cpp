// The edgesec OpenSSL provider from the outside (keyd/client/provider/): Debian's `openssl` command
// loads edgesec.so from the build tree (-provider-path) and uses keyd's keys by URI, on each engine
// keyd has — files, a SoftHSM2 token, a TPM (swtpm):
//   - mutual TLS: `openssl s_client -key edgesec:K -cert K.pem` to `openssl s_server -Verify 1`
//     that trusts only the root which issued K.pem, TLS 1.2 and TLS 1.3;
//   - `openssl req -new -key edgesec:K` makes a CSR that `openssl req -verify` accepts, carrying
//     keyd's public key; `openssl req -x509` and `openssl x509 -req -CAkey edgesec:K` make a CA and a
//     leaf that `openssl verify` accepts;
//   - RSA keys decrypt (pkeyutl, PKCS#1 v1.5 and OAEP) and serve TLS 1.2 RSA key exchange from
//     `openssl s_server -key edgesec:K`;
//   - `openssl pkeyutl -sign -inkey edgesec:K` signs what `openssl pkeyutl -verify` checks with the
//     public key `openssl pkey -pubout` wrote;
//   - a caller whose uid keyd does not allow the key gets keyd's refusal, in words;
//   - a C program that knows nothing of edgesec (provider_store_client.c, libcrypto only) signs with
//     a keyd key through OSSL_STORE, the provider activated by an openssl.cnf.
// Exits 77 (skip) for an engine whose test component (softhsm2, swtpm) is not installed.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "common/fs.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/softhsm.hpp"
#include "tests/support/swtpm.hpp"
#include "tests/support/tls_peer.hpp"
#include "tests/support/skip.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

std::string ProviderDir() {
  const char* dir = std::getenv("EDGESEC_PROVIDER_DIR");
  REQUIRE(dir != nullptr);
  REQUIRE(::access((std::string(dir) + "/edgesec.so").c_str(), R_OK) == 0);
  return dir;
}

// keyd on a temp root with `config` as its config.toml; EDGESEC_KEYD_SOCKET points at it.
class ProviderKeyd {
 public:
  explicit ProviderKeyd(const std::string& config) {
    REQUIRE(fs::MakeDirs(dir_.path() + "/etc/edgesec/keyd", 0755));
    REQUIRE(fs::AtomicWriteFile(dir_.path() + "/etc/edgesec/keyd/config.toml", config, 0644));
    keyd_ = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_KEYD"), dir_.path(), socket());
    client_ = std::make_unique<keyd::KeydClient>(socket());
    ::setenv("EDGESEC_KEYD_SOCKET", socket().c_str(), 1);
  }
  std::string socket() const { return dir_.path() + "/run/edgesec/keyd.sock"; }
  const std::string& dir() const { return dir_.path(); }
  keyd::KeydClient& client() { return *client_; }
  std::string File(const std::string& name) const { return dir_.path() + "/" + name; }

 private:
  TempDir dir_;
  std::unique_ptr<DaemonProcess> keyd_;
  std::unique_ptr<keyd::KeydClient> client_;
};

// `openssl <command> -provider-path <build>/keyd -provider edgesec -provider default <args…>`
RunResult Openssl(const std::string& command, std::vector<std::string> args,
                  const std::string& input = {}) {
  std::vector<std::string> argv = {"openssl", command, "-provider-path", ProviderDir(),
                                   "-provider", "edgesec", "-provider", "default"};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, input);
}
// The same without the provider: the independent check.
RunResult Plain(std::vector<std::string> argv) {
  argv.insert(argv.begin(), "openssl");
  return Run(argv);
}

#define REQUIRE_OK(result)                                                     \
  do {                                                                         \
    const RunResult& r_ = (result);                                            \
    INFO("stdout:\n" << r_.out << "\nstderr:\n" << r_.err);                    \
    REQUIRE(r_.exit_code == 0);                                                \
  } while (0)

// The public key keyd reports for `id`, as PEM, computed in this process.
std::string KeydPublicPem(keyd::KeydClient& client, const std::string& id) {
  std::string handle = MUST(client.GetKeyPair(id));
  EvpPkeyPtr pub = MUST(client.PublicKey(handle));
  return PublicPem(pub.get());
}

// CSR, self-signed CA and issued leaf, all signed by the keyd key `id`, each checked by OpenSSL.
void CheckCertificates(ProviderKeyd& k, const std::string& id) {
  std::string csr = k.File(id + ".csr"), pub = k.File(id + ".pub");
  REQUIRE_OK(Openssl("req", {"-new", "-key", "edgesec:" + id, "-subj", "/CN=" + id, "-out", csr}));
  REQUIRE_OK(Plain({"req", "-verify", "-noout", "-in", csr}));
  REQUIRE_OK(Plain({"req", "-in", csr, "-noout", "-pubkey", "-out", pub}));
  CHECK(ReadTextFile(pub) == KeydPublicPem(k.client(), id));

  std::string ca = k.File(id + "-ca.pem"), leaf_key = k.File(id + "-leaf.key");
  std::string leaf_csr = k.File(id + "-leaf.csr"), leaf = k.File(id + "-leaf.pem");
  REQUIRE_OK(Openssl("req", {"-x509", "-new", "-key", "edgesec:" + id, "-subj", "/CN=" + id + " CA",
                             "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
                             "-addext", "keyUsage=critical,keyCertSign", "-out", ca}));
  REQUIRE_OK(Plain({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", leaf_key, "-subj", "/CN=leaf", "-out", leaf_csr}));
  REQUIRE_OK(Openssl("x509", {"-req", "-in", leaf_csr, "-CA", ca, "-CAkey", "edgesec:" + id,
                              "-CAcreateserial", "-days", "1", "-out", leaf}));
  RunResult verified = Plain({"verify", "-CAfile", ca, leaf});
  REQUIRE_OK(verified);
  CHECK(verified.out.find(": OK") != std::string::npos);
}

// pkeyutl -sign through the provider, -verify without it, with the public key the provider wrote.
void CheckPkeyutl(ProviderKeyd& k, const std::string& id, bool eddsa) {
  std::string data = k.File(id + ".data"), sig = k.File(id + ".sig"), pub = k.File(id + ".pkey");
  WriteBinaryFile(data, eddsa ? ToBytes("message for ed25519") : Sha256Of(ToBytes("message")));
  REQUIRE_OK(Openssl("pkey", {"-in", "edgesec:" + id, "-pubout", "-out", pub}));
  CHECK(ReadTextFile(pub) == KeydPublicPem(k.client(), id));
  std::vector<std::string> sign = {"-sign", "-inkey", "edgesec:" + id, "-in", data, "-out", sig};
  std::vector<std::string> verify = {"pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", data,
                                     "-sigfile", sig};
  if (eddsa) {
    sign.push_back("-rawin");
    verify.push_back("-rawin");
  }
  REQUIRE_OK(Openssl("pkeyutl", sign));
  RunResult checked = Plain(verify);
  REQUIRE_OK(checked);
  CHECK(checked.out.find("Signature Verified Successfully") != std::string::npos);
}

// Mutual TLS with the keyd key against s_server that trusts only the root of the client cert.
void CheckMutualTls(ProviderKeyd& k, const std::string& id, const char* version) {
  std::string dir = k.File(id + version);
  REQUIRE(fs::MakeDirs(dir, 0755));
  std::string handle = MUST(k.client().GetKeyPair(id));
  EvpPkeyPtr pub = MUST(k.client().PublicKey(handle));
  TlsPki pki(dir, pub.get(), "device-" + id);
  WriteCert(dir + "/client.pem", pki.client.get());
  TlsServer server(dir);
  RunResult r = Openssl("s_client",
                        {"-connect", "127.0.0.1:" + std::to_string(server.port()), version,
                         "-key", "edgesec:" + id, "-cert", dir + "/client.pem", "-CAfile",
                         dir + "/ca.pem", "-verify_return_error", "-verify_ip", "127.0.0.1",
                         "-quiet"},
                        "GET / HTTP/1.0\r\n\r\n");
  INFO("s_client stderr:\n" << r.err << "\npage:\n" << r.out << "\ns_server:\n" << server.Log());
  CHECK(r.out.find("HTTP/1.0 200 ok") != std::string::npos);
  CHECK(r.out.find("Client certificate") != std::string::npos);
  CHECK(r.out.find("Subject: CN=device-" + id) != std::string::npos);
  CHECK(r.out.find("Verify return code: 0 (ok)") != std::string::npos);
  CHECK(r.out.find(version[6] == '2' ? "Protocol  : TLSv1.2" : "Protocol  : TLSv1.3") !=
        std::string::npos);
}

// RSA decryption with the keyd key: pkeyutl round trips (PKCS#1 v1.5 and OAEP), and `openssl
// s_server -key edgesec:K` serving TLS 1.2 with RSA key exchange (the premaster secret is decrypted
// through the provider) to a plain `openssl s_client`.
void CheckRsaDecryption(ProviderKeyd& k, const std::string& id) {
  std::string pub = k.File(id + ".pkey"), plain = k.File(id + ".plain");
  std::string sealed = k.File(id + ".sealed"), opened = k.File(id + ".opened");
  WriteBinaryFile(plain, ToBytes("a secret for the keyd key"));
  for (std::string padding : {"pkcs1", "oaep"}) {
    INFO("padding " << padding);
    REQUIRE_OK(Plain({"pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-pkeyopt",
                      "rsa_padding_mode:" + padding, "-in", plain, "-out", sealed}));
    REQUIRE_OK(Openssl("pkeyutl", {"-decrypt", "-inkey", "edgesec:" + id, "-pkeyopt",
                                   "rsa_padding_mode:" + padding, "-in", sealed, "-out", opened}));
    CHECK(ReadTextFile(opened) == "a secret for the keyd key");
  }
  std::string dir = k.File(id + "-server");
  REQUIRE(fs::MakeDirs(dir, 0755));
  EvpPkeyPtr key_pub = MUST(k.client().PublicKey(MUST(k.client().GetKeyPair(id))));
  TlsPki pki(dir, key_pub.get(), "unused-client");
  WriteCert(dir + "/rsa-server.pem",
            MakeCert({"127.0.0.1", false, "serverAuth", "IP:127.0.0.1"}, key_pub.get(), pki.ca.get(),
                     pki.ca_key.get(), EVP_sha256()).get());
  std::string port = std::to_string(FreeLocalPort());
  RunResult r = Run(
      {"sh", "-c",
       "openssl s_server -provider-path \"$1\" -provider edgesec -provider default -accept \"$2\" "
       "-key edgesec:\"$3\" -cert \"$4\"/rsa-server.pem -naccept 1 -www >\"$4\"/rsa-s_server.log 2>&1 & "
       "sleep 1; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:\"$2\" "
       "-tls1_2 -cipher AES128-GCM-SHA256 -CAfile \"$4\"/ca.pem -verify_return_error -quiet; "
       "status=$?; wait; exit $status",
       "sh", ProviderDir(), port, id, dir});
  INFO("s_client:\n" << r.out << r.err << "\ns_server:\n" << ReadTextFile(dir + "/rsa-s_server.log"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Cipher    : AES128-GCM-SHA256") != std::string::npos);
}

void CheckKey(ProviderKeyd& k, const std::string& id, const std::string& algorithm) {
  INFO("key '" << id << "' (" << algorithm << ")");
  MUST(k.client().CreateKeyPairIfNotExists(id, algorithm));
  CheckCertificates(k, id);
  CheckPkeyutl(k, id, algorithm == "ed25519");
  if (algorithm.rfind("rsa-", 0) == 0) CheckRsaDecryption(k, id);
  CheckMutualTls(k, id, "-tls1_2");
  CheckMutualTls(k, id, "-tls1_3");
}

}  // namespace

TEST_CASE("edgesec provider: keys on files") {
  ProviderKeyd k("");
  for (auto [id, algorithm] : std::vector<std::pair<std::string, std::string>>{
           {"dev-p256", "ec-p256"}, {"dev-p384", "ec-p384"}, {"dev-rsa", "rsa-2048"},
           {"dev-ed", "ed25519"}})
    CheckKey(k, id, algorithm);
}

TEST_CASE("edgesec provider: a key the caller may not use gets keyd's refusal, in words") {
  if (::geteuid() != 0) {
    return edgesec::testing::SkipCase("needs root to run openssl as uid 65534");
  }
  ProviderKeyd k(
      "socket_mode = \"0666\"\n\n[[principal]]\nuid = 65534\nkeys = [\"allowed-*\"]\n");
  {
    MUST(k.client().CreateKeyPairIfNotExists("root-only", "ec-p256"));
    MUST(k.client().CreateKeyPairIfNotExists("allowed-1", "ec-p256"));
    std::string data = k.File("nobody.data");
    WriteBinaryFile(data, Sha256Of(ToBytes("x")));
    ::chmod(data.c_str(), 0644);
    auto as_nobody = [&](const std::string& id) {
      return Run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "openssl",
                  "pkeyutl", "-provider-path", ProviderDir(), "-provider", "edgesec", "-provider",
                  "default", "-sign", "-inkey", "edgesec:" + id, "-in", data, "-out", "/dev/null"});
    };
    RunResult refused = as_nobody("root-only");
    INFO(refused.err);
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("edgesec: key 'root-only'") != std::string::npos);
    CHECK(refused.err.find("user 65534 is not authorized") != std::string::npos);
    REQUIRE_OK(as_nobody("allowed-1"));
  }
}

TEST_CASE("edgesec provider: a program that knows only libcrypto, activated by openssl.cnf") {
  ProviderKeyd k("");
  {
    MUST(k.client().CreateKeyPairIfNotExists("app-key", "ec-p256"));
    std::string conf = k.File("openssl.cnf");
    WriteFile(conf, "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
                    "[provider_sect]\nedgesec = edgesec_sect\ndefault = default_sect\n"
                    "[edgesec_sect]\nmodule = " + ProviderDir() + "/edgesec.so\nkeyd_socket = " +
                        k.socket() + "\nactivate = 1\n[default_sect]\nactivate = 1\n");
    ::unsetenv("EDGESEC_KEYD_SOCKET");  // the socket comes from openssl.cnf alone
    ::setenv("OPENSSL_CONF", conf.c_str(), 1);
    RunResult r = Run({BinaryFromEnv("EDGESEC_PROVIDER_CLIENT"), "edgesec:app-key"});
    ::unsetenv("OPENSSL_CONF");
    ::setenv("EDGESEC_KEYD_SOCKET", k.socket().c_str(), 1);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("signature verified") != std::string::npos);
  }
}

TEST_CASE("edgesec provider: unknown keys and URIs are named in the error") {
  ProviderKeyd k("");
  {
    RunResult r = Openssl("pkey", {"-in", "edgesec:no-such-key", "-pubout"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("edgesec: key 'no-such-key'") != std::string::npos);
    r = Openssl("pkey", {"-in", "edgesec:x?object=banana", "-pubout"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("unknown query 'object=banana'") != std::string::npos);
  }
}

TEST_CASE("edgesec provider: keys on a PKCS#11 token (SoftHSM2)") {
  if (!SoftHsm::Available()) {
    std::fprintf(stderr, "SKIP: softhsm2 is not installed (scripts/deps.sh installs it)\n");
    std::exit(77);
  }
  TempDir hsm_dir;
  SoftHsm hsm(hsm_dir.path());
  ProviderKeyd k("default_engine = \"pkcs11\"\n" + hsm.KeydSection());
  CheckKey(k, "hsm-p256", "ec-p256");
  CheckKey(k, "hsm-rsa", "rsa-2048");
}

TEST_CASE("edgesec provider: keys in a TPM (swtpm)") {
  if (!Swtpm::Available()) {
    std::fprintf(stderr, "SKIP: swtpm is not installed (scripts/deps.sh installs it)\n");
    std::exit(77);
  }
  TempDir tpm_dir;
  Swtpm tpm(tpm_dir.path(), /*with_abrmd=*/false);
  ProviderKeyd k("default_engine = \"tpm\"\n[tpm]\ntcti = \"" + tpm.Tcti() + "\"\n");
  CheckKey(k, "tpm-p256", "ec-p256");
  CheckKey(k, "tpm-rsa", "rsa-2048");
}

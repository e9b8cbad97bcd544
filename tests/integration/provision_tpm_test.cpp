// edgectl provision with device keys in a TPM (issue 16, item 2): keyd's tpm engine on swtpm
// (tests/support/swtpm.hpp), certd beside it. A batch with --engine tpm: key.uri and no key.pem,
// the TPM key's public key in each cert, `openssl verify` against the root with the intermediate
// untrusted, a rerun keeps them. `provision device --engine tpm`: certd holds 'device-id', leaf +
// intermediate, of the TPM key keyd names. Exits 77 (skip) when swtpm is not installed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "certd/client/certd_client.hpp"
#include "common/fs.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/swtpm.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

void RequireSwtpm() {
  if (!Swtpm::Available()) {
    std::fprintf(stderr, "SKIP: swtpm is not installed (scripts/deps.sh installs it)\n");
    std::exit(77);
  }
}

// root → intermediate with the openssl command, in `dir` (root.pem, inter.pem, inter.key 0600).
void MakePki(const std::string& dir) {
  std::string script =
      "set -e; cd '" + dir +
      "'\n"
      "printf '[ca]\\nbasicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n"
      "subjectKeyIdentifier=hash\\nauthorityKeyIdentifier=keyid\\n' > ext.cnf\n"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key "
      "-subj /CN=Root -days 30 -out root.pem -addext basicConstraints=critical,CA:TRUE "
      "-addext keyUsage=critical,keyCertSign 2>/dev/null\n"
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key "
      "-subj /CN=Intermediate -out inter.csr 2>/dev/null\n"
      "openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -days 20 -extfile ext.cnf "
      "-extensions ca -out inter.pem 2>/dev/null\n"
      "chmod 600 inter.key\n";
  auto r = Run({"bash", "-c", script});
  REQUIRE(r.exit_code == 0);
}

std::string CertPublicPem(const std::string& pem) {
  auto chain = MUST(x509::ParsePemChain(pem));
  return PublicPem(X509_get0_pubkey(chain[0].get()));
}

struct TpmStack {
  TempDir tpm_dir, root;
  Swtpm tpm{tpm_dir.path() + "/tpm", false};
  std::unique_ptr<DaemonProcess> keyd, certd;
  std::unique_ptr<keyd::KeydClient> keys;
  TpmStack() {
    MUST(fs::MakeDirs(root.path() + "/etc/edgesec/keyd", 0755));
    MUST(fs::AtomicWriteFile(root.path() + "/etc/edgesec/keyd/config.toml",
                             "default_engine = \"tpm\"\n[tpm]\ntcti = \"" + tpm.Tcti() + "\"\n",
                             0600));
    keyd = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_KEYD"), root.path(),
                                           root.path() + "/run/edgesec/keyd.sock");
    certd = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_CERTD"), root.path(),
                                            root.path() + "/run/edgesec/certd.sock");
    keys = std::make_unique<keyd::KeydClient>(root.path() + "/run/edgesec/keyd.sock");
    MakePki(root.path());
  }
  RunResult Edgectl(std::vector<std::string> args) {
    args.insert(args.begin(), {BinaryFromEnv("EDGESEC_EDGECTL"), "--root", root.path()});
    return Run(args);
  }
  std::string Pem(const std::string& name) const { return root.path() + "/" + name; }
};

}  // namespace

TEST_CASE(
    "a batch with --engine tpm makes each device key in the TPM; openssl verifies the certs") {
  RequireSwtpm();
  TpmStack s;
  std::string out = s.root.path() + "/batch";
  std::vector<std::string> batch = {
      "provision", "--engine", "tpm",   "--ca", s.Pem("inter.pem"), "--ca-key", s.Pem("inter.key"),
      "--count",   "3",        "--out", out};
  auto r = s.Edgectl(batch);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("made 3, kept 0", 0) == 0);
  for (int n = 1; n <= 3; ++n) {
    std::string id = "device-00000" + std::to_string(n), dir = out + "/" + id;
    CHECK(ReadTextFile(dir + "/key.uri") == "edgesec:" + id + "\n");
    CHECK_FALSE(fs::Exists(dir + "/key.pem"));
    std::string handle = MUST(s.keys->GetKeyPair(id));
    CHECK(MUST(s.keys->GetParameter(handle, "engine")) == "tpm");
    auto pub = MUST(s.keys->PublicKey(handle));
    CHECK(PublicPem(pub.get()) == CertPublicPem(ReadTextFile(dir + "/cert.pem")));
    auto verify = Run({"openssl", "verify", "-CAfile", s.Pem("root.pem"), "-untrusted",
                       s.Pem("inter.pem"), dir + "/cert.pem"});
    CHECK(verify.exit_code == 0);
  }
  auto again = s.Edgectl(batch);
  CHECK(again.exit_code == 0);
  CHECK(again.out.rfind("made 0, kept 3", 0) == 0);
  auto manifest = ReadTextFile(out + "/manifest.csv");
  CHECK(std::count(manifest.begin(), manifest.end(), '\n') == 4);
}

TEST_CASE("provision device --engine tpm stores the device identity of a TPM key in certd") {
  RequireSwtpm();
  TpmStack s;
  auto r = s.Edgectl({"provision", "device", "--engine", "tpm", "--ca", s.Pem("inter.pem"),
                      "--ca-key", s.Pem("inter.key"), "--device-id", "gw-tpm-7"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  certd::CertdClient certs(s.root.path() + "/run/edgesec/certd.sock");
  std::string pem = MUST(certs.Get("device-id"));
  auto chain = MUST(x509::ParsePemChain(pem));
  REQUIRE(chain.size() == 2);
  CHECK(x509::NameText(X509_get_subject_name(chain[0].get())) == "CN=gw-tpm-7");
  std::string handle = MUST(s.keys->GetKeyPair("device-id"));
  CHECK(MUST(s.keys->GetParameter(handle, "engine")) == "tpm");
  CHECK(PublicPem(MUST(s.keys->PublicKey(handle)).get()) == CertPublicPem(pem));
  MUST(fs::AtomicWriteFile(s.root.path() + "/stored.pem", pem, 0644));
  auto verify = Run({"openssl", "verify", "-CAfile", s.Pem("root.pem"), "-untrusted",
                     s.root.path() + "/stored.pem", s.root.path() + "/stored.pem"});
  CHECK(verify.exit_code == 0);
}

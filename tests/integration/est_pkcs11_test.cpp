// EST with a key on a SoftHSM2 token, through keyd's pkcs11 engine: the token key signs the CSR, then
// authenticates the TLS client for re-enrollment (same key, subject and SANs copied from the current
// cert), and `openssl verify` accepts every cert. Exits 77 when SoftHSM2 is not installed.
#include <cstdio>
#include <cstdlib>

#include "common/fs.hpp"
#include "keyd/client/keyd_client.hpp"
#include "keyd/client/remote_key.hpp"
#include "tests/integration/est_helpers.hpp"
#include "tests/support/softhsm.hpp"
#include "tests/support/temp_root.hpp"

using namespace edgesec::testing;

namespace {

const bool kChecked = [] {
  if (!SoftHsm::Available()) {
    std::fprintf(stderr, "\n*** SKIP: SoftHSM2 is not installed; scripts/deps.sh installs it ***\n\n");
    std::exit(77);
  }
  return true;
}();

}  // namespace

TEST_CASE("a SoftHSM2 token key held by keyd enrolls, then re-enrolls over TLS client auth") {
  TempDir dir;
  SoftHsm hsm(dir.path() + "/hsm");
  REQUIRE(fs::MakeDirs(dir.path() + "/etc/edgesec/keyd", 0755));
  REQUIRE(fs::AtomicWriteFile(dir.path() + "/etc/edgesec/keyd/config.toml",
                              "default_engine = \"pkcs11\"\n" + hsm.KeydSection(), 0600));
  DaemonProcess keyd(BinaryFromEnv("EDGESEC_KEYD"), dir.path(), dir.path() + "/run/edgesec/keyd.sock");
  auto kc = std::make_shared<keyd::KeydClient>(keyd.socket());
  auto handle = kc->CreateKeyPairIfNotExists("est-token", "ec-p256");
  INFO((handle ? "" : handle.error().Describe()));
  REQUIRE(handle);
  auto key = keyd::LoadRemoteKey(kc, *handle);
  REQUIRE(key);

  EstServer issuer;
  auto issuer_client = MakeClient(issuer);
  auto first = EnrollFor(issuer_client, key->get(), "token-device", {"DNS:token-device.example"});
  RequireOpensslVerifies(dir.path(), first.cert.get(), first.chain);

  EstServer closed({"--require-client-cert", "--client-ca", issuer.ChainPem()});
  auto client = MakeClient(closed);
  client.SetIdentity(Identity(first, key->get()));
  auto csr = est::BuildReenrollCsr(first.cert.get(), key->get());
  REQUIRE(csr);
  auto r = client.SimpleReenroll(csr->get());
  INFO((r ? "" : r.error().Describe()));
  REQUIRE(r);
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(r->cert.get()), key->get()) == 1);
  RequireOpensslVerifies(dir.path(), r->cert.get(), r->chain);
  auto log = RequestLog(closed);
  REQUIRE(log.size() == 1);
  CHECK(log[0]["client_subject"] == "O=edgesec tests,CN=token-device");
}

// edgectl cert import <cert-id> <file>: PEM, DER or PKCS#12; the key to keyd, the chain to certd.
// A refusal names the file and the reason.
#include <cstdio>
#include <ctime>

#include "certd/x509/import_file.hpp"
#include "common/x509/validate.hpp"
#include "cli/cert_commands.hpp"
#include "common/fs.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::cli {

int CertImport(Context& ctx) {
  const std::string& id = ctx.args[0];
  const std::string& file = ctx.args[1];
  std::optional<std::string> password;
  if (ctx.Has("--password")) password = ctx.Option("--password");
  if (ctx.Has("--password-file")) {
    auto text = fs::ReadFile(ctx.Option("--password-file"), 4096);
    if (!text)
      return Fail("reading password file '" + ctx.Option("--password-file") +
                  "': " + text.error().Describe());
    password = text->substr(0, text->find_first_of("\r\n"));
  }
  auto data = fs::ReadFile(file, 4 << 20);
  if (!data) return Fail("reading '" + file + "': " + data.error().Describe());
  auto bundle = certd::x509::ReadCertificateFile(Bytes(data->begin(), data->end()), password);
  if (!bundle) return Fail("refusing '" + file + "': " + bundle.error().message);
  if (auto st =
          edgesec::x509::ValidateForImport(bundle->chain, std::time(nullptr), bundle->key.get());
      !st)
    return Fail("refusing '" + file + "': " + st.error().message);
  std::string key_id = ctx.Option("--key-id", id);
  if (bundle->key) {
    auto pkcs8 = PrivateKeyToPkcs8Der(bundle->key.get());
    if (!pkcs8)
      return Fail("refusing '" + file +
                  "': the private key cannot be encoded: " + pkcs8.error().message);
    keyd::KeydClient keyd(ctx.layout.Socket("keyd"));
    if (auto h = keyd.ImportKeyPair(key_id, *pkcs8); !h)
      return Fail("importing the key of '" + file + "' into keyd as '" + key_id +
                  "': " + h.error().message);
  }
  auto chain_pem = edgesec::x509::ChainToPem(bundle->chain);
  if (!chain_pem) return Fail(chain_pem.error().message);
  // The key id is recorded with the cert: its type is imported-with-key (docs/certd.md).
  auto stored = CertdClientFor(ctx).Import(id, *chain_pem, bundle->key ? key_id : std::string());
  if (!stored) return Fail("refusing '" + file + "': " + stored.error().message);
  Json j{{"certId", id}, {"format", bundle->format}, {"chainLength", bundle->chain.size()}};
  j["keyId"] = bundle->key ? Json(key_id) : Json(nullptr);
  ctx.Print(j, "imported '" + file + "' (" + bundle->format + ", " +
                   std::to_string(bundle->chain.size()) + " certificate(s)) as cert '" + id + "'" +
                   (bundle->key ? ", key in keyd as '" + key_id + "'" : ""));
  return kOk;
}

}  // namespace edgesec::cli

// edgectl provision device: this device's just-in-time-provisioning identity. The key is made in
// keyd (TPM or PKCS#11 token), the certificate is signed by the intermediate CA, and the chain
// (leaf, then the CA file's certificates) is stored in certd under the device identity's cert id
// with the key id recorded, where identityd's [device_identity] finds it.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "cli/cert_commands.hpp"
#include "cli/provision.hpp"
#include "common/x509/validate.hpp"

namespace edgesec::cli::provision {
namespace {

struct DeviceArgs {
  std::string ca_cert, ca_key, engine, device_id, cert_id, key_id, key_type = "ec-p256";
  int days = 365;
  bool force = false;
};

// Device and cert ids become a CN and keyd/certd ids: printable, no '/', at most 64 characters.
Status CheckId(const std::string& option, const std::string& id) {
  if (id.empty() || id.size() > 64)
    return InvalidParameter(option + " '" + id + "' must be 1 to 64 characters long");
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return InvalidParameter(option + " '" + id +
                              "' may hold only letters, digits, '-', '_' and '.'");
  return {};
}

Expected<DeviceArgs> ParseDeviceArgs(const Context& ctx) {
  DeviceArgs a;
  for (const char* required : {"--ca", "--ca-key", "--engine"})
    if (!ctx.Has(required) || ctx.Option(required).empty())
      return InvalidParameter(std::string("missing ") + required);
  a.ca_cert = ctx.Option("--ca");
  a.ca_key = ctx.Option("--ca-key");
  a.engine = ctx.Option("--engine");
  if (a.engine != "tpm" && a.engine != "pkcs11" && a.engine != "file")
    return InvalidParameter("--engine '" + a.engine + "' must be tpm, pkcs11 or file");
  char host[256] = "";
  if (!ctx.Has("--device-id")) ::gethostname(host, sizeof host - 1);
  a.device_id = ctx.Option("--device-id", host);
  EDGESEC_TRY(CheckId("--device-id", a.device_id));
  a.cert_id = ctx.Option("--cert-id", "device-id");
  EDGESEC_TRY(CheckId("--cert-id", a.cert_id));
  a.key_id = ctx.Option("--key-id", a.cert_id);
  EDGESEC_TRY(CheckId("--key-id", a.key_id));
  a.key_type = ctx.Option("--key-type", "ec-p256");
  EDGESEC_TRY(CheckKeyType(a.key_type));
  if (ctx.Has("--days")) {
    EDGESEC_ASSIGN_OR_RETURN(a.days, ParseDays(ctx.Option("--days")));
  }
  a.force = ctx.Has("--force");
  return a;
}

// The chain certd will hold: leaf + the CA file's certificates, checked link by link.
Expected<std::string> MakeChain(const DeviceArgs& a, const Ca& ca, EVP_PKEY* key,
                                ManifestRow* row) {
  EDGESEC_ASSIGN_OR_RETURN(X509Ptr cert,
                           IssueLeaf(ca, {a.device_id, key, a.days, std::time(nullptr)}));
  EDGESEC_TRY(x509::CheckIssued(ca.chain[0].get(), cert.get(), 1));
  EDGESEC_ASSIGN_OR_RETURN(*row, RowOf(a.device_id, cert.get()));
  EDGESEC_ASSIGN_OR_RETURN(std::string leaf, x509::ToPem(cert.get()));
  return leaf + ca.chain_pem;
}

}  // namespace

int RunDevice(Context& ctx) {
  auto args = ParseDeviceArgs(ctx);
  if (!args) {
    std::fprintf(stderr, "edgectl provision device: %s; see --help\n",
                 args.error().message.c_str());
    return kUsage;
  }
  const DeviceArgs& a = *args;
  auto ca = LoadCa(a.ca_cert, a.ca_key, ctx.layout);
  if (!ca) return Fail("provision device: " + ca.error().Describe());
  auto certd = CertdClientFor(ctx);
  auto current = certd.Get(a.cert_id);
  if (current && !a.force)
    return Fail("provision device: certd already holds cert '" + a.cert_id +
                "'; --force replaces it");
  if (!current && current.error().kind != ErrorKind::kNotFound)
    return Fail("provision device: asking certd for cert '" + a.cert_id +
                "': " + current.error().message);
  auto keyd = ca->keyd ? ca->keyd : KeydFor(ctx.layout);
  auto key = KeydKey(keyd, a.key_id, a.key_type, a.engine, false);
  if (!key) return Fail("provision device: " + key.error().Describe());
  ManifestRow row;
  auto chain = MakeChain(a, *ca, key->get(), &row);
  if (!chain) return Fail("provision device: " + chain.error().Describe());
  auto stored = certd.Import(a.cert_id, *chain, a.key_id);
  if (!stored)
    return Fail("provision device: storing cert '" + a.cert_id +
                "' in certd: " + stored.error().message);
  ctx.Print({{"deviceId", a.device_id},
             {"certId", a.cert_id},
             {"keyId", a.key_id},
             {"engine", a.engine},
             {"serial", row.serial},
             {"sha256", row.sha256},
             {"notAfter", row.not_after}},
            "device '" + a.device_id + "': cert '" + a.cert_id + "' in certd (serial " +
                row.serial + ", not after " + row.not_after + "), key '" + a.key_id +
                "' in keyd's " + a.engine + " engine\nsha256 " + row.sha256);
  return kOk;
}

}  // namespace edgesec::cli::provision

// edgectl identity show, ca show, module cert (identityd's identity and workload APIs)
#include <cstdio>

#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "cli/cli.hpp"
#include "common/fs.hpp"
#include "daemon/client/identityd_client.hpp"

namespace edgesec::cli {
namespace {

int IdentityShow(Context& ctx) {
  identityd::IdentitydClient client(ctx.layout.Socket("identityd"));
  auto identity = client.Identity();
  if (!identity) return Fail("device identity: " + identity.error().message);
  const Json& spec = (*identity)["spec"];
  std::string text = "type: " + identity->value("type", "") + "\n";
  for (const char* field : {"deviceId", "moduleId"})
    if (spec.contains(field))
      text += std::string(field) + ": " + spec[field].get<std::string>() + "\n";
  if (spec.contains("auth") && spec["auth"].contains("certId"))
    text += "certId: " + spec["auth"]["certId"].get<std::string>() + "\n";
  ctx.Print(*identity, text);
  return kOk;
}

int CaShow(Context& ctx) {
  identityd::IdentitydClient client(ctx.layout.Socket("identityd"));
  auto ca = client.EdgeCa();
  if (!ca) return Fail("Edge CA: " + ca.error().message);
  std::string text = "Edge CA '" + ca->value("certId", "") + "'\n";
  if (auto chain = edgesec::x509::ParsePemChain(ca->value("pem", "")); chain) {
    if (auto d = edgesec::x509::Describe(chain->front().get(), std::time(nullptr)))
      text += edgesec::x509::DetailsText(*d);
  }
  if (ca->contains("renewal") && (*ca)["renewal"].is_object()) {
    const Json& r = (*ca)["renewal"];
    auto field = [&](const char* name) {
      return r.contains(name) && r[name].is_string() ? r[name].get<std::string>() : "-";
    };
    text += "renewal: " + field("state") + ", next " + field("nextRenewal") + ", last error " +
            field("lastError") + "\n";
  }
  size_t trusted = ca->contains("trusted") ? (*ca)["trusted"].size() : 0;
  text += "Edge CAs in the trust bundle: " + std::to_string(trusted) + "\n";
  ctx.Print(*ca, text);
  return kOk;
}

// Writes the key (0600), the cert chain and the trust bundle under --out DIR.
int WriteFiles(const std::string& dir, const std::string& name, const identityd::api::IssuedCert& c,
               const std::string& bundle, Json* paths) {
  if (auto st = fs::MakeDirs(dir, 0700); !st) return Fail(st.error().Describe());
  struct File {
    std::string path, data;
    mode_t mode;
  } files[] = {{dir + "/" + name + ".key.pem", c.private_key_pem, 0600},
               {dir + "/" + name + ".cert.pem", c.certificate, 0644},
               {dir + "/trust-bundle.pem", bundle, 0644}};
  for (const auto& f : files) {
    if (auto st = fs::AtomicWriteFile(f.path, f.data, f.mode); !st)
      return Fail(st.error().Describe());
  }
  (*paths)["key"] = files[0].path;
  (*paths)["certificate"] = files[1].path;
  (*paths)["trustBundle"] = files[2].path;
  return kOk;
}

int ModuleCert(Context& ctx) {
  const std::string& module_id = ctx.args[0];
  identityd::WorkloadClient client(ctx.layout.Socket("workload"));
  Expected<identityd::api::IssuedCert> cert = Internal("unset");
  if (ctx.Has("--identity")) {
    cert = client.IdentityCert(module_id);
  } else {
    identityd::api::ServerCertRequest request{ctx.Option("--common-name", module_id), std::nullopt};
    if (ctx.Has("--expiration")) request.expiration = ctx.Option("--expiration");
    cert = client.ServerCert(module_id, ctx.Option("--gen-id", "1"), request);
  }
  if (!cert) return Fail("module '" + module_id + "': " + cert.error().message);
  if (!ctx.Has("--out")) {
    ctx.Print(cert->ToJson(), cert->certificate + cert->private_key_pem);
    return kOk;
  }
  auto bundle = client.TrustBundle();
  if (!bundle) return Fail("trust bundle: " + bundle.error().message);
  std::string name = ctx.Has("--identity") ? module_id + ".identity" : module_id;
  Json paths = Json::object();
  if (int rc = WriteFiles(ctx.Option("--out"), name, *cert, *bundle, &paths)) return rc;
  paths["expiration"] = cert->expiration;
  ctx.Print(paths, "key: " + paths["key"].get<std::string>() +
                       "\ncertificate: " + paths["certificate"].get<std::string>() +
                       "\ntrust bundle: " + paths["trustBundle"].get<std::string>() +
                       "\nexpires: " + cert->expiration);
  return kOk;
}

int TrustBundle(Context& ctx) {
  identityd::IdentitydClient client(ctx.layout.Socket("identityd"));
  auto bundle = client.TrustBundle();
  if (!bundle) return Fail("trust bundle: " + bundle.error().message);
  if (ctx.Has("--out")) {
    if (auto st = fs::AtomicWriteFile(ctx.Option("--out"), *bundle, 0644); !st)
      return Fail(st.error().Describe());
  }
  ctx.Print({{"certificate", *bundle}}, ctx.Has("--out") ? "" : *bundle);
  return kOk;
}

}  // namespace

std::vector<Command> IdentityCommands() {
  return {
      {{"identity", "show"},
       "",
       0,
       0,
       "show the device identity identityd serves",
       {},
       &IdentityShow},
      {{"identity", "trust-bundle"},
       "",
       0,
       0,
       "print the trust bundle (trust_bundle_cert + the Edge CA chain)",
       {{"--out", "FILE", "write it to FILE instead"}},
       &TrustBundle},
      {{"ca", "show"},
       "",
       0,
       0,
       "show the Edge CA, its renewal state and the trusted Edge CAs",
       {},
       &CaShow},
      {{"module", "cert"},
       "<module-id>",
       1,
       1,
       "get a server cert (or, with --identity, an identity cert) for a module from the Edge CA, "
       "through the workload API",
       {{"--common-name", "NAME", "the server name (default: the module id)"},
        {"--gen-id", "ID", "the module's generation id (default: 1)"},
        {"--expiration", "TIME", "an RFC 3339 expiration earlier than the default"},
        {"--identity", "", "an identity (client) cert: CN = module id, EKU clientAuth"},
        {"--out", "DIR", "write <module>.key.pem, <module>.cert.pem and trust-bundle.pem to DIR"}},
       &ModuleCert},
  };
}

}  // namespace edgesec::cli

// The workload API's data protection and manifest trust bundle, as IdentityService operations:
// encrypt/decrypt for a module (AES-256-GCM in keyd under the master encryption key, the caller's
// IV, AAD = module id ‖ gen id as the peer builds it) and GET /manifest-trust-bundle.
#include <unistd.h>

#include <algorithm>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/x509/pem.hpp"
#include "daemon/server/service.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::identityd {
namespace {

// keyd's answer turned into what the module should see: its own bad input stays 400; keyd refusing
// identityd is identityd's configuration, not the module's fault (500 naming the fix); keyd
// unreachable is 503.
Error FromKeyd(const Error& e, const std::string& what) {
  switch (e.kind) {
    case ErrorKind::kInvalidParameter:
      return InvalidParameter(what + ": " + e.message);
    case ErrorKind::kUnavailable:
      return MakeError(ErrorKind::kUnavailable, what + ": keyd is unavailable: " + e.message);
    case ErrorKind::kUnauthorized:
      return Internal(what + ": keyd refuses identityd the master encryption key '" +
                      std::string(kMasterEncryptionKeyId) +
                      "' (add it to identityd's principal in keyd's config; `edgectl config "
                      "apply` does): " +
                      e.message);
    default:
      return Internal(what + ": " + e.message);
  }
}

Bytes Aad(const std::string& module_id, const std::string& gen_id) {
  std::string aad = module_id + gen_id;  // the peer's construction, so its data stays readable
  return Bytes(aad.begin(), aad.end());
}

}  // namespace

bool IdentityService::ListsModule(const State& s, uid_t uid, const std::string& module_id) const {
  return std::any_of(
      s.config.principals.begin(), s.config.principals.end(), [&](const Principal& p) {
        return p.uid == uid &&
               std::find(p.modules.begin(), p.modules.end(), module_id) != p.modules.end();
      });
}

// Stricter than the cert routes: a module's stored secrets are its own. Root and identityd's own
// uid may act for any module; everyone else only for the modules its principal names (an
// `idtype = "device"` principal too).
Status IdentityService::AuthorizeModuleData(const State& s, const Caller& c,
                                            const std::string& module_id,
                                            const std::string& gen_id) const {
  EDGESEC_TRY(ValidateId(module_id, "module id"));
  EDGESEC_TRY(ValidateId(gen_id, "genId"));
  if (c.uid == 0 || c.uid == ::getuid() || ListsModule(s, c.uid, module_id)) return {};
  return MakeError(ErrorKind::kUnauthorized, "user " + std::to_string(c.uid) +
                                                 " is not authorized to encrypt or decrypt for "
                                                 "module '" +
                                                 module_id + "'");
}

Expected<Bytes> IdentityService::ModuleCrypt(const Caller& c, const std::string& module_id,
                                             const std::string& gen_id,
                                             const api::ModuleDataRequest& request, bool decrypt) {
  auto s = Snapshot();
  EDGESEC_TRY(AuthorizeModuleData(*s, c, module_id, gen_id));
  if (request.iv.empty())
    return InvalidParameter("parameter 'initializationVector' must not be empty");
  if (request.iv.size() > 128)
    return InvalidParameter("parameter 'initializationVector' must be at most 128 bytes long");
  keyd::api::CreateKeyRequest create;
  create.key_id = kMasterEncryptionKeyId;
  create.usage = EDGESEC_USAGE_ENCRYPT;
  auto handle = s->keyd->CreateKey(create);
  if (!handle) return FromKeyd(handle.error(), "cannot load the master encryption key");
  keyd::api::EncryptRequest op;
  op.key_handle = *handle;
  op.algorithm = keyd::api::EncryptAlgorithm::kAead;
  op.iv = request.iv;
  op.aad = Aad(module_id, gen_id);
  op.data = request.data;
  auto out = decrypt ? s->keyd->Decrypt(op) : s->keyd->Encrypt(op);
  OPENSSL_cleanse(op.data.data(), op.data.size());  // the module's plaintext, when encrypting
  if (!out && decrypt && out.error().kind == ErrorKind::kInvalidParameter)
    return InvalidParameter(
        "parameter 'ciphertext' cannot be decrypted for module '" + module_id + "' genid '" +
        gen_id +
        "': it was encrypted for another module or genid, with another initializationVector, "
        "or altered (" +
        out.error().message + ")");
  if (!out) return FromKeyd(out.error(), decrypt ? "decrypt" : "encrypt");
  return out;
}

Expected<std::string> IdentityService::ManifestTrustBundle(const Caller&) {
  // Public certificates only, like the trust bundle: any caller that reaches the socket may read
  // it.
  auto s = Snapshot();
  const std::string& path = s->config.manifest_trust_bundle_cert;
  if (path.empty()) return std::string();  // none configured: "" as the peer answers
  auto text = fs::ReadFile(path);
  if (!text)
    return Internal("manifest_trust_bundle_cert '" + path +
                    "' cannot be read: " + text.error().message);
  auto chain = x509::ParsePemChain(*text);
  if (!chain)
    return Internal("manifest_trust_bundle_cert '" + path + "': " + chain.error().message);
  std::string bundle;
  for (const auto& cert : *chain) {
    EDGESEC_ASSIGN_OR_RETURN(std::string one, x509::ToPem(cert.get()));
    if (bundle.find(one) == std::string::npos) bundle += one;
  }
  return bundle;
}

}  // namespace edgesec::identityd

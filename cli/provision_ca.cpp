// edgectl provision: the issuing CA (its file and key, checked) and the device certificates it
// signs; device keys made in keyd.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "certd/x509/issue.hpp"
#include "cli/provision.hpp"
#include "common/fs.hpp"
#include "common/x509/csr.hpp"
#include "common/x509/validate.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::cli::provision {
namespace {

constexpr const char* kKeydScheme = "edgesec:";

Expected<EvpPkeyPtr> FileKey(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return InvalidParameter("CA key file '" + path + "' cannot be read: " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return InvalidParameter("CA key file '" + path + "' is open to group or others (mode " + mode +
                            "): chmod 600 '" + path + "'");
  }
  auto pem = fs::ReadFile(path, 1 << 20);
  if (!pem) return InvalidParameter("CA key file '" + path + "': " + pem.error().Describe());
  auto key = PrivateKeyFromPem(*pem);
  if (!key)
    return InvalidParameter("CA key file '" + path +
                            "' holds no unencrypted PEM private key: " + key.error().message);
  return key;
}

}  // namespace

std::shared_ptr<keyd::KeydClient> KeydFor(const Layout& layout) {
  return std::make_shared<keyd::KeydClient>(layout.Socket("keyd"));
}

Expected<Ca> LoadCa(const std::string& cert_path, const std::string& key_spec,
                    const Layout& layout) {
  Ca ca;
  auto pem = fs::ReadFile(cert_path, 4 << 20);
  if (!pem)
    return InvalidParameter("CA certificate '" + cert_path + "': " + pem.error().Describe());
  auto chain = x509::ParsePemChain(*pem);
  if (!chain)
    return InvalidParameter("CA certificate '" + cert_path + "': " + chain.error().message);
  ca.chain = std::move(*chain);
  X509* cert = ca.chain[0].get();
  if (auto st = x509::CheckIssuingCa(cert); !st)
    return InvalidParameter("CA certificate '" + cert_path +
                            "' cannot sign devices: " + st.error().message);
  if (auto st = x509::CheckValidity(cert, std::time(nullptr)); !st)
    return InvalidParameter("CA certificate '" + cert_path + "': " + st.error().message);
  if (key_spec.rfind(kKeydScheme, 0) == 0) {
    std::string key_id = key_spec.substr(std::string(kKeydScheme).size());
    ca.keyd = KeydFor(layout);
    auto handle = ca.keyd->GetKeyPair(key_id);
    if (!handle) return handle.error().Context("CA key '" + key_spec + "' in keyd");
    auto key = keyd::LoadRemoteKey(ca.keyd, *handle);
    if (!key) return key.error().Context("CA key '" + key_spec + "' in keyd");
    ca.key = std::move(*key);
  } else {
    EDGESEC_ASSIGN_OR_RETURN(ca.key, FileKey(key_spec));
  }
  if (auto st = x509::CheckKeyMatches(cert, ca.key.get()); !st)
    return InvalidParameter("CA key '" + key_spec + "' is not the key of CA certificate '" +
                            cert_path + "' (" + st.error().message + ")");
  EDGESEC_ASSIGN_OR_RETURN(ca.chain_pem, x509::ChainToPem(ca.chain));
  return ca;
}

Expected<X509Ptr> IssueLeaf(const Ca& ca, const LeafSpec& spec) {
  x509::CsrSpec csr_spec;
  csr_spec.subject = {{"CN", spec.device_id}};
  csr_spec.key = spec.key;
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, x509::BuildCsr(csr_spec));
  certd::x509::Profile profile;
  profile.name = "provision";
  profile.validity_days = spec.days;
  profile.key_usage = {"digitalSignature"};
  profile.extended_key_usage = {"clientAuth"};
  profile.san_policy = certd::x509::SanPolicy::kNone;
  certd::x509::IssueInput in;
  in.csr = csr.get();
  in.issuer_cert = ca.chain[0].get();
  in.signing_key = ca.key.get();
  in.profile = &profile;
  in.now = spec.now;
  return certd::x509::IssueCertificate(in);
}

Expected<EvpPkeyPtr> KeydKey(const std::shared_ptr<keyd::KeydClient>& keyd,
                             const std::string& key_id, const std::string& key_type,
                             const std::string& engine, bool must_be_new) {
  std::string handle;
  bool made = false;
  auto existing = keyd->GetKeyPair(key_id);
  if (existing) {
    if (must_be_new)
      return InvalidParameter("keyd already holds a key pair '" + key_id +
                              "' that this batch did not make (another batch with the same "
                              "--prefix?): choose another --prefix");
    handle = *existing;
  } else if (existing.error().kind != ErrorKind::kNotFound) {
    return existing.error().Context("asking keyd for key pair '" + key_id + "'");
  } else {
    auto created = keyd->CreateKeyPairIfNotExists(key_id, key_type);
    if (!created) return created.error().Context("creating key pair '" + key_id + "' in keyd");
    handle = *created;
    made = true;
  }
  auto actual = keyd->GetParameter(handle, "engine");
  if (!actual) return actual.error().Context("asking keyd where key pair '" + key_id + "' is");
  if (*actual != engine) {
    if (made) (void)keyd->DeleteKeyPair(handle);
    return InvalidParameter("keyd keeps key pair '" + key_id + "' in engine '" + *actual +
                            "', not '" + engine +
                            "': keyd's config (default_engine, [[key_engine]] rules) decides "
                            "where keys go");
  }
  auto key = keyd::LoadRemoteKey(keyd, handle);
  if (!key) return key.error().Context("loading key pair '" + key_id + "' from keyd");
  return key;
}

}  // namespace edgesec::cli::provision

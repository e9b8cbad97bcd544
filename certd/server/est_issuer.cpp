#include "certd/server/est_issuer.hpp"

#include <openssl/x509_vfy.h>

#include "certd/server/key_rotation.hpp"
#include "certd/x509/issue.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/x509/validate.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {
namespace {

bool IsFileUri(const std::string& s) {
  return s.rfind("file:///", 0) == 0;
}

std::optional<std::string> PreferredFor(const std::optional<est::CsrAttrs>& attrs) {
  if (!attrs || !attrs->key_type) return std::nullopt;
  if (*attrs->key_type == EVP_PKEY_RSA)
    return "rsa-" + std::to_string(attrs->rsa_bits ? attrs->rsa_bits : 2048);
  if (attrs->curve == "secp384r1") return std::string("ec-p384");
  if (attrs->curve.empty() || attrs->curve == "prime256v1") return std::string("ec-p256");
  return std::nullopt;
}

}  // namespace

// The EST identity is a cert of its own: a server that binds the device id to the CSR's CN (as
// Lamassu does) must never see the identity under the CN of the cert it then enrolls.
Expected<std::string> IdentityCommonName(const EstSettings& e, const Credential& cred) {
  std::string cred_cn;
  for (const auto& [f, v] : cred.SubjectOrDefault())
    if (f == "CN") cred_cn = v;
  if (e.identity_common_name.empty())
    return ("est-id-" + (cred_cn.empty() ? cred.cert_id : cred_cn)).substr(0, 64);
  if (e.identity_common_name == cred_cn)
    return InvalidParameter("[est] identity_common_name '" + e.identity_common_name +
                            "' is the CN of cert '" + cred.cert_id +
                            "': the EST identity must not take the CN of a cert it enrolls; give "
                            "it another one");
  return e.identity_common_name;
}

bool MustBeCa(const CertdConfig& config, const Credential& cred) {
  if (cred.cert_id == kEdgeCaId || config.local_ca_cert == cred.cert_id) return true;
  auto p = config.profiles.find(cred.profile);
  if (p != config.profiles.end() && p->second.ca) return true;
  for (const auto& [id, other] : config.credentials)
    if (other.method == IssuanceMethod::kLocalCa && other.issuer_cert == cred.cert_id) return true;
  return false;
}

Status RefuseNonCa(const CertdConfig& config, const Credential& cred, X509* cert) {
  if (!MustBeCa(config, cred)) return {};
  Status st = edgesec::x509::CheckIssuingCa(cert);
  if (st) return {};
  std::string why = cred.cert_id == kEdgeCaId ? "it is the Edge CA"
                    : config.local_ca_cert == cred.cert_id ? "it is [local_ca] cert"
                                                           : "it issues other certs";
  Error e = InvalidParameter("the EST server issued cert '" + cred.cert_id +
                             "' as a certificate that cannot issue (" + st.error().message +
                             "); '" + cred.cert_id + "' must be a CA because " + why +
                             ": refused, the current cert (if any) stays in use; ask the EST "
                             "server's operator for a CA profile (CA:TRUE, keyCertSign)");
  log::Warning("certd: " + e.message);
  return e;
}

Error FromEst(const Error& e, const std::string& what) {
  return MakeError(est::IsRetryable(e) ? ErrorKind::kUnavailable : ErrorKind::kInvalidParameter,
                   what + ": " + e.message, e.detail);
}

std::string EstIssuer::KeyIdOf(const std::string& cert_id, const std::string& fallback) const {
  auto stored = store_.Get(cert_id);
  return stored && *stored && !(*stored)->key_id.empty() ? (*stored)->key_id : fallback;
}

Expected<std::optional<est::ClientIdentity>> EstIssuer::LoadIdentity(Ctx& x,
                                                                     const std::string& cert_ref,
                                                                     const std::string& key_id,
                                                                     bool require_valid) {
  edgesec::x509::Chain chain;
  std::string kid = key_id;
  if (IsFileUri(cert_ref)) {
    EDGESEC_ASSIGN_OR_RETURN(std::string pem, fs::ReadFile(cert_ref.substr(7)));
    EDGESEC_ASSIGN_OR_RETURN(chain, edgesec::x509::ParsePemChain(pem));
  } else {
    EDGESEC_ASSIGN_OR_RETURN(auto stored, store_.Get(cert_ref));
    if (!stored) return std::optional<est::ClientIdentity>();
    EDGESEC_ASSIGN_OR_RETURN(chain, edgesec::x509::ParsePemChain(stored->pem));
    if (!stored->key_id.empty()) kid = stored->key_id;
  }
  if (require_valid) {
    if (Status st = edgesec::x509::CheckValidity(chain.front().get(), clock_.Now()); !st) {
      log::Notice("certd: EST identity '" + cert_ref + "' is not usable (" + st.error().message +
                  ")");
      return std::optional<est::ClientIdentity>();
    }
  }
  auto handle = x.keyd->GetKeyPair(kid);
  if (!handle)
    return KeydError(handle.error(), "key '" + kid + "' of EST identity '" + cert_ref + "'");
  auto key = keyd::LoadRemoteKey(x.keyd, *handle);
  if (!key) return KeydError(key.error(), "key '" + kid + "'");
  if (Status st = edgesec::x509::CheckKeyMatches(chain.front().get(), key->get()); !st)
    return InvalidParameter("EST identity '" + cert_ref + "' and key '" + kid +
                            "': " + st.error().message);
  return std::optional<est::ClientIdentity>(est::ClientIdentity{std::move(chain), std::move(*key)});
}

Expected<std::optional<est::ClientIdentity>> EstIssuer::EnrollAuth(Ctx& x) {
  const EstSettings& e = x.config.est;
  if (!e.identity_cert.empty()) {
    EDGESEC_ASSIGN_OR_RETURN(auto id, LoadIdentity(x, e.identity_cert, e.identity_key, true));
    if (id) return id;
  }
  if (e.bootstrap_identity_cert.empty()) return std::optional<est::ClientIdentity>();
  EDGESEC_ASSIGN_OR_RETURN(
      auto boot, LoadIdentity(x, e.bootstrap_identity_cert, e.bootstrap_identity_key, false));
  if (!boot)
    return InvalidParameter("bootstrap identity cert '" + e.bootstrap_identity_cert +
                            "' is not in certd's store");
  if (e.identity_cert.empty() || IsFileUri(e.identity_cert)) return boot;
  EDGESEC_TRY(ObtainIdentity(x, std::move(*boot)));
  EDGESEC_ASSIGN_OR_RETURN(auto id, LoadIdentity(x, e.identity_cert, e.identity_key, true));
  if (!id) return Internal("the EST identity just obtained is not usable");
  return id;
}

Expected<std::string> EstIssuer::ObtainIdentity(Ctx& x, est::ClientIdentity bootstrap) {
  const EstSettings& e = x.config.est;
  auto handle = x.keyd->CreateKeyPairIfNotExists(e.identity_key);
  if (!handle) return KeydError(handle.error(), "EST identity key '" + e.identity_key + "'");
  auto key = keyd::LoadRemoteKey(x.keyd, *handle);
  if (!key) return KeydError(key.error(), "EST identity key '" + e.identity_key + "'");
  est::CsrSpec spec;
  EDGESEC_ASSIGN_OR_RETURN(std::string cn, IdentityCommonName(e, x.cred));
  spec.subject = {{"CN", cn}};
  spec.key = key->get();
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, est::BuildCsr(spec));
  x.client.SetIdentity(std::move(bootstrap));
  auto r = x.client.SimpleEnroll(csr.get());
  if (!r)
    return FromEst(r.error(),
                   "enrolling the EST identity at '" + x.client.Url("simpleenroll") + "'");
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, Verify(x, *r, key->get()));
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, edgesec::x509::ChainToPem(chain));
  EDGESEC_TRY(store_.Put(e.identity_cert, pem, e.identity_key));
  log::Info("certd: obtained EST identity '" + e.identity_cert + "' with the bootstrap identity '" +
            e.bootstrap_identity_cert + "'");
  return pem;
}

Expected<edgesec::x509::Chain> EstIssuer::Verify(Ctx& x, est::EnrollResult& r, EVP_PKEY* key) {
  if (Status st = edgesec::x509::CheckKeyMatches(r.cert.get(), key); !st)
    return InvalidParameter("the EST server returned a cert that does not match the key: " +
                            st.error().message);
  if (!r.subject_as_requested)
    log::Notice("certd: the EST server changed the subject of the requested cert");
  if (!x.cacerts) {
    auto ca = x.client.CaCerts();
    if (!ca)
      log::Warning("certd: EST /cacerts failed, verifying against trusted_certs only: " +
                   ca.error().message);
    x.cacerts = ca ? std::move(*ca) : std::vector<X509Ptr>();
  }
  UniquePtr<X509_STORE> store(X509_STORE_new());
  for (const std::string& file : x.config.est.trusted_certs) {
    auto pem = fs::ReadFile(file);
    if (!pem) return pem.error().Context("trusted_certs");
    EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain anchors, edgesec::x509::ParsePemChain(*pem));
    for (const auto& c : anchors) X509_STORE_add_cert(store.get(), c.get());
  }
  UniquePtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  for (const auto& c : *x.cacerts) {
    if (X509_self_signed(c.get(), 0) == 1)
      X509_STORE_add_cert(store.get(), c.get());
    else if (X509_up_ref(c.get()) == 1)
      sk_X509_push(untrusted.get(), c.get());
  }
  for (const auto& c : r.chain)
    if (X509_up_ref(c.get()) == 1) sk_X509_push(untrusted.get(), c.get());
  UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), r.cert.get(), untrusted.get()) != 1)
    return OpenSslError("setting up chain verification");
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(clock_.Now()));
  if (X509_verify_cert(ctx.get()) != 1)
    return InvalidParameter(
        std::string("the cert the EST server returned does not verify against the trust anchors "
                    "(trusted_certs and /cacerts): ") +
        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  UniquePtr<STACK_OF(X509)> verified(X509_STORE_CTX_get1_chain(ctx.get()));
  edgesec::x509::Chain out;
  for (int i = 0; i < sk_X509_num(verified.get()); ++i) {
    X509* c = sk_X509_value(verified.get(), i);
    X509_up_ref(c);
    out.emplace_back(c);
  }
  return out;
}

Expected<std::string> EstIssuer::Enroll(const CertdConfig& config, const Credential& cred,
                                        std::shared_ptr<keyd::KeydClient> keyd,
                                        const std::string& csr_pem) {
  std::lock_guard lock(mutex_);
  EDGESEC_ASSIGN_OR_RETURN(est::EstClient client, est::MakeEstClient(config.est, &cred.est));
  Ctx x{config, cred, keyd, std::move(client), std::nullopt};
  EDGESEC_ASSIGN_OR_RETURN(auto auth, EnrollAuth(x));
  x.client.SetIdentity(std::move(auth));
  if (cred.est.server_keygen) {
    if (!csr_pem.empty())
      return InvalidParameter("parameter 'csr': credential '" + cred.cert_id +
                              "' has server_keygen = true, so the EST server makes the key; omit "
                              "'csr'");
    return EnrollServerKeygen(x);
  }
  std::string key_id = KeyIdOf(cred.cert_id, cred.key_id);
  std::optional<est::CsrAttrs> attrs;
  if (csr_pem.empty()) {
    auto a = x.client.CsrAttributes();
    if (a)
      attrs = std::move(*a);
    else
      log::Notice("certd: EST /csrattrs failed, building the CSR without them: " +
                  a.error().message);
  }
  auto handle = keyd->CreateKeyPairIfNotExists(key_id, PreferredFor(attrs));
  if (!handle) return KeydError(handle.error(), "key '" + key_id + "'");
  auto key = keyd::LoadRemoteKey(keyd, *handle);
  if (!key) return KeydError(key.error(), "key '" + key_id + "'");
  if (attrs && attrs->key_type && !est::KeyMatchesAttrs(key->get(), *attrs))
    log::Notice("certd: key '" + key_id +
                "' exists and is not of the type the EST server asks for; using it");
  X509ReqPtr csr;
  if (!csr_pem.empty()) {
    EDGESEC_ASSIGN_OR_RETURN(csr, x509::VerifiedCsr(csr_pem));
    if (EVP_PKEY_eq(X509_REQ_get0_pubkey(csr.get()), key->get()) != 1)
      return InvalidParameter("parameter 'csr': the CSR is not for key '" + key_id +
                              "' of credential '" + cred.cert_id +
                              "'; omit 'csr' and certd builds it");
  } else {
    est::CsrSpec spec;
    spec.subject = cred.SubjectOrDefault();
    spec.sans = cred.sans;
    spec.key = key->get();
    spec.attrs = attrs ? &*attrs : nullptr;
    EDGESEC_ASSIGN_OR_RETURN(csr, est::BuildCsr(spec));
  }
  auto r = x.client.SimpleEnroll(csr.get());
  if (!r)
    return FromEst(r.error(), "enrolling cert '" + cred.cert_id + "' at '" +
                                  x.client.Url("simpleenroll") + "'");
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, Verify(x, *r, key->get()));
  EDGESEC_TRY(RefuseNonCa(config, cred, chain.front().get()));
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, edgesec::x509::ChainToPem(chain));
  EDGESEC_TRY(store_.Put(cred.cert_id, pem, key_id));
  log::Info("certd: enrolled cert '" + cred.cert_id + "' with key '" + key_id + "' at '" +
            x.client.Url("simpleenroll") + "'");
  return pem;
}

}  // namespace edgesec::certd

// POST /certificates: local issuance with an issuer (its key found in keyd when no handle is
// given), for a credential of certd's config (key created and CSR built by certd when no CSR is
// given), or through EST.
#include "certd/x509/issue.hpp"

#include "certd/est/csr.hpp"
#include "certd/server/key_rotation.hpp"
#include "certd/server/service.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/x509/validate.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {
namespace {

Expected<X509ReqPtr> CsrFor(const Credential& cred, EVP_PKEY* key) {
  est::CsrSpec spec;
  spec.subject = cred.SubjectOrDefault();
  spec.sans = cred.sans;
  spec.key = key;
  return est::BuildCsr(spec);
}

}  // namespace

std::string CertService::CurrentKeyId(const certd::Credential& cred) const {
  auto stored = store_->Get(cred.cert_id);
  return stored && *stored && !(*stored)->key_id.empty() ? (*stored)->key_id : cred.key_id;
}

Expected<CertService::IssuerPtr> CertService::LoadIssuer(const State& s, const std::string& cert_id,
                                                         const std::string& handle,
                                                         const std::string& key_hint) {
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(cert_id));
  if (!stored) return InvalidParameter("issuer certificate '" + cert_id + "' is not in the store");
  IssuerPtr cached;
  {
    std::lock_guard lock(issuer_cache_mutex_);
    auto it = issuer_cache_.find(cert_id);
    if (it != issuer_cache_.end() && it->second.pem == stored->pem && it->second.handle == handle &&
        it->second.key_hint == key_hint)
      cached = it->second.issuer;
  }
  auto issuer = std::make_shared<LoadedIssuer>();
  const LoadedIssuer* checked = cached.get();
  if (!cached) {
    issuer->cert_id = cert_id;
    auto chain = edgesec::x509::ParsePemChain(stored->pem);
    if (!chain)
      return Internal("stored cert '" + cert_id + "' is not a PEM chain: " + chain.error().message);
    issuer->chain = std::move(*chain);
    X509* cert = issuer->chain.front().get();
    EDGESEC_ASSIGN_OR_RETURN(issuer->not_after, edgesec::x509::ToEpoch(X509_get0_notAfter(cert)));
    EDGESEC_ASSIGN_OR_RETURN(issuer->not_before, edgesec::x509::ToEpoch(X509_get0_notBefore(cert)));
    checked = issuer.get();
  }
  // Validity is checked on every issuance, cached or not: time moves, the cert does not.
  int64_t now = Now();
  if (checked->not_after <= now)
    return InvalidParameter("issuer certificate '" + cert_id + "' expired at " +
                            edgesec::x509::Rfc3339(checked->not_after) + "; renew it first")
        .WithReason(ErrorReason::kIssuerExpired);
  if (checked->not_before > now + edgesec::x509::kClockSkewSeconds)
    return InvalidParameter("issuer certificate '" + cert_id + "' is not valid before " +
                            edgesec::x509::Rfc3339(checked->not_before));
  if (cached) return cached;
  X509* cert = issuer->chain.front().get();
  if (Status ca = edgesec::x509::CheckIssuingCa(cert); !ca)
    return ca.error().Context("issuer certificate '" + cert_id + "'");
  std::string key_handle = handle;
  if (key_handle.empty()) {
    // The key recorded with the issuer's cert (a rotated key's versioned id), else the hint (a
    // local_ca credential's issuer_key), else the issuer credential's key id, else the cert id.
    issuer->key_id = stored->key_id;
    if (issuer->key_id.empty()) issuer->key_id = key_hint;
    if (auto c = s.config.credentials.find(cert_id);
        issuer->key_id.empty() && c != s.config.credentials.end())
      issuer->key_id = c->second.key_id;
    if (issuer->key_id.empty()) issuer->key_id = cert_id;
    auto h = Keyd()->GetKeyPair(issuer->key_id);
    if (!h) return KeydError(h.error(), "key '" + issuer->key_id + "' of issuer '" + cert_id + "'",
                       KeyOrigin::kCaller);
    key_handle = *h;
  }
  auto key = keyd::LoadRemoteKey(Keyd(), key_handle);
  if (!key) return KeydError(key.error(), "issuer key", KeyOrigin::kCaller);
  if (EVP_PKEY_eq(X509_get0_pubkey(cert), key->get()) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter("key does not match: the issuer key" +
                            (issuer->key_id.empty() ? "" : " '" + issuer->key_id + "'") +
                            " is not the key of issuer certificate '" + cert_id + "'");
  }
  issuer->key = std::move(*key);
  std::lock_guard lock(issuer_cache_mutex_);
  issuer_cache_[cert_id] = CachedIssuer{stored->pem, handle, key_hint, issuer};
  return IssuerPtr(issuer);
}

void CertService::ForgetIssuer(const std::string& cert_id) {
  std::lock_guard lock(issuer_cache_mutex_);
  issuer_cache_.erase(cert_id);
}

Expected<CertService::IssuerPtr> CertService::CredentialIssuer(const State& s,
                                                               const certd::Credential& k) {
  std::string issuer_cert = k.issuer_cert.empty() ? s.config.local_ca_cert : k.issuer_cert;
  std::string issuer_key = k.issuer_key.empty() ? s.config.local_ca_key : k.issuer_key;
  if (issuer_cert.empty())
    return InvalidParameter(
        "credential '" + k.cert_id +
        "' uses method local_ca but names no issuer: set its "
        "'issuer_cert' (and 'issuer_key') or [local_ca] cert in certd's config");
  return LoadIssuer(s, issuer_cert, "", issuer_key);
}

Expected<edgesec::x509::Chain> CertService::SignLocally(const State& s, X509_REQ* csr,
                                                        const LoadedIssuer* issuer,
                                                        EVP_PKEY* self_key,
                                                        const std::string& profile,
                                                        int64_t not_after) {
  auto p = s.config.profiles.find(profile);
  if (p == s.config.profiles.end())
    return InvalidParameter("parameter 'profile': no issuance profile named '" + profile +
                            "' in certd's config");
  x509::IssueInput in{csr,
                      issuer ? issuer->chain.front().get() : nullptr,
                      issuer ? issuer->key.get() : self_key,
                      &p->second,
                      Now(),
                      not_after};
  EDGESEC_ASSIGN_OR_RETURN(X509Ptr leaf, x509::IssueCertificate(in));
  edgesec::x509::Chain chain;
  chain.push_back(std::move(leaf));
  if (issuer)
    for (const auto& c : issuer->chain)
      if (X509_up_ref(c.get()) == 1) chain.emplace_back(c.get());
  return chain;
}

Expected<std::string> CertService::IssueForCredential(const State& s,
                                                      const api::CreateCertRequest& r,
                                                      const certd::Credential& cred,
                                                      const std::string& profile,
                                                      int64_t not_after) {
  std::string key_id = CurrentKeyId(cred);
  EvpPkeyPtr key;
  X509ReqPtr csr;
  if (r.csr.empty() || cred.method == IssuanceMethod::kSelfSigned) {
    auto alg = cred.algorithm.empty() ? std::optional<std::string>() : cred.algorithm;
    EDGESEC_ASSIGN_OR_RETURN(key, RemoteKey(Keyd(), key_id, r.csr.empty(), alg));
  }
  if (r.csr.empty()) {
    EDGESEC_ASSIGN_OR_RETURN(csr, CsrFor(cred, key.get()));
  } else {
    EDGESEC_ASSIGN_OR_RETURN(csr, x509::VerifiedCsr(r.csr));
  }
  IssuerPtr issuer;
  if (cred.method == IssuanceMethod::kLocalCa) {
    EDGESEC_ASSIGN_OR_RETURN(issuer, CredentialIssuer(s, cred));
  }
  auto signed_chain = SignLocally(s, csr.get(), issuer.get(), key.get(), profile, not_after);
  if (!signed_chain && issuer) ForgetIssuer(issuer->cert_id);  // e.g. its key went away in keyd
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, std::move(signed_chain));
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, edgesec::x509::ChainToPem(chain));
  if (r.store) {
    // The record names the key only when certd knows it is the credential's (no foreign CSR).
    bool own_key = r.csr.empty() || cred.method == IssuanceMethod::kSelfSigned;
    EDGESEC_TRY(store_->Put(r.cert_id, pem, own_key ? key_id : std::string()));
  }
  log::Info("certd: issued cert '" + r.cert_id + "' (" + IssuanceMethodName(cred.method) +
            ", profile '" + profile + "')" + (r.store ? "" : ", not stored"));
  return pem;
}

Status CertService::CheckClockPlausible() const {
  int64_t now = Now(), earliest = BuildEpoch();
  if (now >= earliest) return {};
  return MakeError(ErrorKind::kUnavailable,
                   "the clock says " + edgesec::x509::Rfc3339(now) +
                       ", before this build of edgesec (" + edgesec::x509::Rfc3339(earliest) +
                       "): certd issues and renews nothing until the clock is set (NTP)");
}

Expected<std::string> CertService::Issue(const Caller& c, const api::CreateCertRequest& r) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, r.cert_id, "issue"));
  if (r.issuer) EDGESEC_TRY(Authorize(*s, c, r.issuer->cert_id, "issue with the issuer"));
  EDGESEC_TRY(CheckClockPlausible());
  auto cred = s->config.credentials.find(r.cert_id);
  bool has_cred = cred != s->config.credentials.end();
  // A credential's cert and key id are written by renewals too: one writer at a time, so that a
  // record never names a key that a concurrent rotation has just deleted.
  std::unique_lock<std::mutex> one_writer;
  if (has_cred) one_writer = std::unique_lock(renew_mutex_);
  std::string profile = r.profile                                   ? *r.profile
                        : has_cred && !cred->second.profile.empty() ? cred->second.profile
                                                                    : "default";
  if (s->config.profiles.count(profile) == 0)
    return InvalidParameter("parameter 'profile': no issuance profile named '" + profile +
                            "' in certd's config");
  int64_t not_after = 0;
  if (r.not_after) {
    auto t = edgesec::x509::ParseRfc3339(*r.not_after);
    if (!t) return InvalidParameter("parameter 'notAfter': " + t.error().message);
    not_after = *t;
  }
  if (r.issuer) {
    X509ReqPtr csr;
    EvpPkeyPtr key;
    std::string key_id;
    if (!r.csr.empty()) {
      EDGESEC_ASSIGN_OR_RETURN(csr, x509::VerifiedCsr(r.csr));
    } else if (has_cred) {
      key_id = CurrentKeyId(cred->second);
      auto alg =
          cred->second.algorithm.empty() ? std::optional<std::string>() : cred->second.algorithm;
      EDGESEC_ASSIGN_OR_RETURN(key, RemoteKey(Keyd(), key_id, true, alg));
      EDGESEC_ASSIGN_OR_RETURN(csr, CsrFor(cred->second, key.get()));
    } else {
      return InvalidParameter("missing parameter 'csr': cert '" + r.cert_id +
                              "' is no credential of certd's config, so certd cannot build the "
                              "CSR");
    }
    EDGESEC_ASSIGN_OR_RETURN(IssuerPtr issuer,
                             LoadIssuer(*s, r.issuer->cert_id, r.issuer->private_key_handle, ""));
    auto signed_chain = SignLocally(*s, csr.get(), issuer.get(), nullptr, profile, not_after);
    if (!signed_chain) ForgetIssuer(issuer->cert_id);  // e.g. its key went away in keyd
    EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, std::move(signed_chain));
    EDGESEC_ASSIGN_OR_RETURN(std::string pem, edgesec::x509::ChainToPem(chain));
    if (r.store) EDGESEC_TRY(store_->Put(r.cert_id, pem, key_id));
    log::Info("certd: issued cert '" + r.cert_id + "' with issuer '" + r.issuer->cert_id +
              "', profile '" + profile + "'" + (r.store ? "" : ", not stored"));
    return pem;
  }
  if (!has_cred)
    return InvalidParameter(
        "missing parameter 'issuer': no issuer given and no credential configured for cert '" +
        r.cert_id +
        "'; send issuer {certId, privateKeyHandle} or add a [[credential]] with "
        "method \"self_signed\" or \"local_ca\"");
  const certd::Credential& k = cred->second;
  if (k.method == IssuanceMethod::kSelfSigned || k.method == IssuanceMethod::kLocalCa)
    return IssueForCredential(*s, r, k, profile, not_after);
  if (k.method == IssuanceMethod::kEst) return est_->Enroll(s->config, k, Keyd(), r.csr);
  return InvalidParameter(
      "credential '" + r.cert_id + "' uses method " + IssuanceMethodName(k.method) +
      ", which POST /certificates cannot serve (self_signed, local_ca and est can)");
}

}  // namespace edgesec::certd

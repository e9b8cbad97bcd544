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

Expected<IssuerPtr> CertService::LoadIssuer(const State& s, const std::string& cert_id,
                                            const std::string& handle,
                                            const std::string& key_hint) {
  return issuers_.Load({s.config, *store_, Keyd(), Now()}, cert_id, handle, key_hint);
}

Expected<IssuerPtr> CertService::CredentialIssuer(const State& s, const certd::Credential& k) {
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
  if (!signed_chain && issuer) issuers_.Forget(issuer->cert_id);  // e.g. its key went away in keyd
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
  if (has_cred) one_writer = renewals_->OneWriter();
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
    if (!signed_chain && signed_chain.error().kind == ErrorKind::kCrypto) {
      // Once more with the issuer loaded afresh: a cached key handle hides keyd's reason (its key
      // went away, or keyd no longer lets certd use it) behind OpenSSL's "signing failed".
      issuers_.Forget(issuer->cert_id);
      EDGESEC_ASSIGN_OR_RETURN(issuer,
                               LoadIssuer(*s, r.issuer->cert_id, r.issuer->private_key_handle, ""));
      signed_chain = SignLocally(*s, csr.get(), issuer.get(), nullptr, profile, not_after);
    }
    if (!signed_chain) issuers_.Forget(issuer->cert_id);  // e.g. its key went away in keyd
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

// Renewal of a credential, for every method, as a two-phase commit (key_rotation.hpp): a new key
// when rotating, a new cert (EST re-enroll, or local issuance), checked (key match, chain to the
// issuer, validity), committed with one store write naming the new key id, then the old key
// deleted. The outcome is recorded in the renewal Tracker (attempts, lastError, next attempt).
#include <openssl/x509.h>

#include "certd/est/csr.hpp"
#include "certd/renewal/pause.hpp"
#include "certd/server/generation_scope.hpp"
#include "certd/server/key_rotation.hpp"
#include "certd/server/service.hpp"
#include "certd/x509/issue.hpp"
#include "common/log.hpp"
#include "common/x509/validate.hpp"

namespace edgesec::certd {

Expected<std::string> CertService::RenewLocally(const State& s, const certd::Credential& cred,
                                                std::optional<bool> rotate) {
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(cred.cert_id));
  std::string current_key_id = stored && !stored->key_id.empty() ? stored->key_id : cred.key_id;
  bool rotating = stored.has_value() && rotate.value_or(cred.policy.rotate_key);
  std::optional<std::string> algorithm;
  if (!cred.algorithm.empty()) algorithm = cred.algorithm;
  std::string new_key_id = current_key_id;
  if (rotating) {
    if (auto current = RemoteKey(Keyd(), current_key_id, false); current && cred.algorithm.empty())
      algorithm = AlgorithmLike(current->get());
    // A key left by a killed renewal under this id is named by no record: it is reused.
    new_key_id = NextKeyId(cred.key_id, current_key_id);
  }
  // The test pause points are on the renewal of an existing cert (the initial issuance has no old
  // pair to keep).
  auto pause = [&stored](const char* phase) {
    if (stored) renewal::PauseAt(phase);
  };
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr key, RemoteKey(Keyd(), new_key_id, true, algorithm));
  pause("after-key");

  est::CsrSpec spec;
  spec.subject = cred.SubjectOrDefault();
  spec.sans = cred.sans;
  spec.key = key.get();
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, est::BuildCsr(spec));
  IssuerPtr issuer;
  if (cred.method == IssuanceMethod::kLocalCa) {
    EDGESEC_ASSIGN_OR_RETURN(issuer, CredentialIssuer(s, cred));
  }
  std::string profile = cred.profile.empty() ? "default" : cred.profile;
  auto signed_chain = SignLocally(s, csr.get(), issuer.get(), key.get(), profile, 0);
  if (!signed_chain && issuer) issuers_.Forget(issuer->cert_id);
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, std::move(signed_chain));
  pause("after-cert");

  X509* leaf = chain.front().get();
  EDGESEC_TRY(edgesec::x509::CheckKeyMatches(leaf, key.get()));
  EDGESEC_TRY(edgesec::x509::CheckValidity(leaf, Now()));
  EVP_PKEY* issuer_pub = issuer ? X509_get0_pubkey(issuer->chain.front().get()) : key.get();
  if (X509_verify(leaf, issuer_pub) != 1) {
    DrainOpenSslErrors();
    return Internal("the renewed cert of '" + cred.cert_id + "' does not verify with its issuer");
  }
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, edgesec::x509::ChainToPem(chain));
  pause("before-commit");
  // The commit: one rename writes the new cert with the key id it belongs to.
  EDGESEC_TRY(store_->Put(cred.cert_id, pem, new_key_id));
  pause("after-commit");
  if (new_key_id != current_key_id) DeleteReplacedKey(Keyd(), current_key_id);
  CollectOrphanedKeys(Keyd(), *store_, s.config, cred, new_key_id);
  log::Notice("certd: " + std::string(stored ? "renewed" : "issued") + " cert '" + cred.cert_id +
              "' (" + IssuanceMethodName(cred.method) + ") with key '" + new_key_id + "'" +
              (new_key_id != current_key_id ? " (rotated from '" + current_key_id + "')" : ""));
  return pem;
}

Expected<std::string> CertService::EnrollRevoked(const State& s, const certd::Credential& cred) {
  std::string current_key_id = est_->KeyIdOf(cred.cert_id, cred.key_id);
  std::string new_key_id = NextKeyId(cred.key_id, current_key_id);
  EDGESEC_ASSIGN_OR_RETURN(std::string pem,
                           est_->EnrollRevoked(s.config, cred, Keyd(), new_key_id));
  // A server_keygen credential's key id is the one /serverkeygen's key was imported under.
  std::string now_key_id = est_->KeyIdOf(cred.cert_id, cred.key_id);
  if (now_key_id != current_key_id) DeleteReplacedKey(Keyd(), current_key_id);
  CollectOrphanedKeys(Keyd(), *store_, s.config, cred, now_key_id);
  return pem;
}

Expected<std::string> CertService::RenewCredential(const std::string& id,
                                                   std::optional<bool> rotate, RenewWhen when,
                                                   bool revoked) {
  auto writer = renewals_->OneWriter();
  auto s = Snapshot();
  auto it = s->config.credentials.find(id);
  if (it == s->config.credentials.end())
    return NotFound("no credential '" + id +
                    "' in certd's config; renewal works on the [[credential]] table");
  const certd::Credential& cred = it->second;
  if (cred.method == IssuanceMethod::kPreloaded)
    return InvalidParameter("credential '" + id +
                            "' uses method preloaded; certd has no way to renew it (give it "
                            "method self_signed, local_ca or est)");
  auto renew = [&]() -> Expected<std::string> {
    if (cred.method != IssuanceMethod::kEst) return RenewLocally(*s, cred, rotate);
    EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(id));
    if (stored && revoked) return EnrollRevoked(*s, cred);
    return stored ? est_->Reenroll(s->config, cred, Keyd(), rotate)
                  : est_->Enroll(s->config, cred, Keyd(), "");
  };
  return renewals_->Run(id, when, [&] { return AuditedRenewal(id, renew); });
}

void CertService::ScheduledRenewal(const std::string& id) {
  GenerationScope scope(id, "issued", "threshold");
  (void)RenewCredential(id, std::nullopt, RenewWhen::kIfDue);
}

Expected<std::string> CertService::Renew(const Caller& c, const std::string& id,
                                         std::optional<bool> rotate_key, bool if_needed,
                                         const std::string& reason) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "renew"));
  EDGESEC_TRY(CheckClockPlausible());
  EDGESEC_TRY(CheckRenewReason(reason, &rotate_key));
  GenerationScope scope(id, "issued",
                        !reason.empty() ? reason
                        : if_needed     ? "threshold"
                                        : "manual");
  return RenewCredential(id, rotate_key, if_needed ? RenewWhen::kIfNeeded : RenewWhen::kAlways);
}

}  // namespace edgesec::certd

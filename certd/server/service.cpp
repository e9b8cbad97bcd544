#include "certd/server/service.hpp"

#include <fnmatch.h>
#include <unistd.h>

#include <ctime>

#include "certd/x509/details.hpp"
#include "certd/x509/issue.hpp"
#include "certd/x509/validate.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {
namespace {

bool MayUse(const CertdConfig& config, uid_t caller, const std::string& id) {
  if (caller == 0 || caller == ::getuid()) return true;
  for (const Principal& p : config.principals) {
    if (p.uid != caller) continue;
    for (const std::string& glob : p.cert_globs)
      if (::fnmatch(glob.c_str(), id.c_str(), 0) == 0) return true;
  }
  return false;
}

Expected<x509::Chain> StoredChain(const std::optional<store::StoredCert>& stored,
                                  const std::string& id) {
  auto chain = x509::ParsePemChain(stored->pem);
  if (!chain)
    return Internal("stored cert '" + id + "' is not a PEM chain: " + chain.error().message);
  return chain;
}

// keyd's own error, named as keyd's: a 401 from keyd is certd's problem, not the caller's.
Error FromKeyd(const Error& e, const std::string& what) {
  ErrorKind kind = e.kind == ErrorKind::kInvalidParameter || e.kind == ErrorKind::kNotFound
                       ? ErrorKind::kInvalidParameter
                   : e.kind == ErrorKind::kUnavailable ? ErrorKind::kUnavailable
                                                       : ErrorKind::kInternal;
  return MakeError(kind, what + ": keyd says: " + e.message, e.detail);
}

}  // namespace

Expected<std::unique_ptr<CertService>> CertService::Create(const Layout& layout,
                                                           const CertdConfig& config, Clock clock) {
  if (!clock) clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
  auto service = std::unique_ptr<CertService>(new CertService(layout, std::move(clock)));
  EDGESEC_ASSIGN_OR_RETURN(service->store_, store::CertStore::Open(layout.ServiceStateDir("certd"),
                                                                   config.preloaded_certs));
  service->est_ = std::make_unique<EstIssuer>(*service->store_, service->clock_);
  EDGESEC_TRY(service->Reload(config));
  return service;
}

Status CertService::Reload(const CertdConfig& config) {
  auto state = std::make_shared<State>(State{config});
  std::string socket = config.keyd_socket.empty() ? layout_.Socket("keyd") : config.keyd_socket;
  auto keyd = std::make_shared<keyd::KeydClient>(socket);
  store_->SetPreloaded(config.preloaded_certs);
  std::lock_guard lock(state_mutex_);
  state_ = std::move(state);
  keyd_ = std::move(keyd);
  return {};
}

std::shared_ptr<const CertService::State> CertService::Snapshot() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

std::shared_ptr<keyd::KeydClient> CertService::Keyd() const {
  std::lock_guard lock(state_mutex_);
  return keyd_;
}

Status CertService::Authorize(const State& s, const Caller& c, const std::string& id,
                              const char* action) const {
  EDGESEC_TRY(ValidateId(id, "cert id"));
  if (MayUse(s.config, c.uid, id)) return {};
  return MakeError(
      ErrorKind::kUnauthorized,
      "user " + std::to_string(c.uid) + " is not authorized to " + action + " cert '" + id + "'");
}

Expected<std::string> CertService::Issue(const Caller& c, const api::CreateCertRequest& r) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, r.cert_id, "issue"));
  if (r.issuer) EDGESEC_TRY(Authorize(*s, c, r.issuer->cert_id, "issue with the issuer"));
  auto cred = s->config.credentials.find(r.cert_id);
  std::string profile = r.profile ? *r.profile
                        : cred != s->config.credentials.end() && !cred->second.profile.empty()
                            ? cred->second.profile
                            : "default";
  if (s->config.profiles.count(profile) == 0)
    return InvalidParameter("parameter 'profile': no issuance profile named '" + profile +
                            "' in certd's config");
  if (r.issuer)
    return IssueWith(*s, c, r, r.issuer->cert_id, r.issuer->private_key_handle, profile);
  if (cred == s->config.credentials.end())
    return InvalidParameter(
        "missing parameter 'issuer': no issuer given and no credential configured for cert '" +
        r.cert_id +
        "'; send issuer {certId, privateKeyHandle} or add a [[credential]] with "
        "method \"self_signed\" or \"local_ca\"");
  const Credential& k = cred->second;
  if (k.method == "self_signed") return SelfSign(*s, r, k);
  if (k.method == "local_ca") {
    std::string issuer_cert = k.issuer_cert.empty() ? s->config.local_ca_cert : k.issuer_cert;
    std::string issuer_key = k.issuer_key.empty() ? s->config.local_ca_key : k.issuer_key;
    if (issuer_cert.empty() || issuer_key.empty())
      return InvalidParameter(
          "credential '" + r.cert_id +
          "' uses method local_ca but names no issuer: set its "
          "'issuer_cert' and 'issuer_key' or [local_ca] cert and key in certd's config");
    auto handle = Keyd()->GetKeyPair(issuer_key);
    if (!handle) return FromKeyd(handle.error(), "issuer key '" + issuer_key + "'");
    return IssueWith(*s, c, r, issuer_cert, *handle, profile);
  }
  if (k.method == "est") return est_->Enroll(s->config, k, Keyd(), r.csr);
  return InvalidParameter(
      "credential '" + r.cert_id + "' uses method " + k.method +
      ", which POST /certificates cannot serve (self_signed, local_ca and est can)");
}

Expected<std::string> CertService::Renew(const Caller& c, const std::string& id,
                                         std::optional<bool> rotate_key) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "renew"));
  auto cred = s->config.credentials.find(id);
  if (cred == s->config.credentials.end())
    return NotFound("no credential '" + id +
                    "' in certd's config; renewal works on the [[credential]] table");
  if (cred->second.method != "est")
    return InvalidParameter("credential '" + id + "' uses method " + cred->second.method +
                            "; renew now serves method est (re-enroll)");
  return est_->Reenroll(s->config, cred->second, Keyd(), rotate_key);
}

Expected<std::string> CertService::IssueWith(const State& s, const Caller& c,
                                             const api::CreateCertRequest& r,
                                             const std::string& issuer_cert_id,
                                             const std::string& issuer_handle,
                                             const std::string& profile) {
  EDGESEC_TRY(Authorize(s, c, issuer_cert_id, "issue with the issuer"));
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, x509::VerifiedCsr(r.csr));
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(issuer_cert_id));
  if (!stored)
    return InvalidParameter("issuer certificate '" + issuer_cert_id + "' is not in the store");
  EDGESEC_ASSIGN_OR_RETURN(x509::Chain issuer_chain, StoredChain(stored, issuer_cert_id));
  auto key = keyd::LoadRemoteKey(Keyd(), issuer_handle);
  if (!key) return FromKeyd(key.error(), "issuer key");
  x509::IssueInput in{csr.get(), issuer_chain.front().get(), key->get(),
                      &s.config.profiles.at(profile), clock_()};
  EDGESEC_ASSIGN_OR_RETURN(X509Ptr leaf, x509::IssueCertificate(in));
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, x509::ToPem(leaf.get()));
  EDGESEC_ASSIGN_OR_RETURN(std::string chain_pem, x509::ChainToPem(issuer_chain));
  pem += chain_pem;
  EDGESEC_TRY(store_->Put(r.cert_id, pem));
  log::Info("certd: issued cert '" + r.cert_id + "' with issuer '" + issuer_cert_id +
            "', profile '" + profile + "'");
  return pem;
}

Expected<std::string> CertService::SelfSign(const State& s, const api::CreateCertRequest& r,
                                            const Credential& cred) {
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, x509::VerifiedCsr(r.csr));
  auto handle = Keyd()->GetKeyPair(cred.key_id);
  if (!handle) return FromKeyd(handle.error(), "key '" + cred.key_id + "'");
  auto key = keyd::LoadRemoteKey(Keyd(), *handle);
  if (!key) return FromKeyd(key.error(), "key '" + cred.key_id + "'");
  std::string profile = r.profile ? *r.profile : cred.profile.empty() ? "default" : cred.profile;
  x509::IssueInput in{csr.get(), nullptr, key->get(), &s.config.profiles.at(profile), clock_()};
  EDGESEC_ASSIGN_OR_RETURN(X509Ptr cert, x509::IssueCertificate(in));
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, x509::ToPem(cert.get()));
  EDGESEC_TRY(store_->Put(r.cert_id, pem));
  log::Info("certd: self-signed cert '" + r.cert_id + "' with key '" + cred.key_id + "'");
  return pem;
}

Expected<std::string> CertService::Import(const Caller& c, const std::string& id,
                                          const std::string& pem) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "import"));
  EDGESEC_ASSIGN_OR_RETURN(x509::Chain chain, x509::ParsePemChain(pem));
  EDGESEC_TRY(x509::ValidateForImport(chain, clock_()));
  EDGESEC_ASSIGN_OR_RETURN(std::string normalized, x509::ChainToPem(chain));
  EDGESEC_TRY(store_->Put(id, normalized));
  log::Info("certd: imported cert '" + id + "'");
  return normalized;
}

Expected<std::string> CertService::Get(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "read"));
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_->Get(id));
  if (!stored) return NotFound("cert '" + id + "' not found");
  return stored->pem;
}

Status CertService::Delete(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "delete"));
  EDGESEC_ASSIGN_OR_RETURN(bool removed, store_->Remove(id));
  if (!store_->IsPreloaded(id)) return {};
  // Deleting a preloaded cert and seeing it come back would surprise: say so. Removing a stored
  // cert that overrode the preloaded file is fine (the preloaded one is served again).
  if (removed) {
    log::Notice("certd: deleted the stored cert that overrode preloaded cert '" + id +
                "'; the preloaded file is "
                "served again");
    return {};
  }
  std::string file = s->config.preloaded_certs.count(id) ? s->config.preloaded_certs.at(id) : "";
  return InvalidParameter("certificate '" + id + "' is preloaded from '" + file +
                          "' and cannot be deleted; remove it "
                          "from [preloaded_certs] in certd's config");
}

Expected<std::vector<api::CertSummary>> CertService::List(const Caller& c) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(auto ids, store_->Ids());
  std::vector<api::CertSummary> out;
  for (const auto& id : ids) {
    if (!MayUse(s->config, c.uid, id)) continue;
    auto stored = store_->Get(id);
    if (!stored || !*stored) continue;
    auto chain = x509::ParsePemChain((*stored)->pem);
    if (!chain) {
      log::Warning("certd: cert '" + id +
                   "' is not a readable PEM chain: " + chain.error().message);
      continue;
    }
    auto d = x509::Describe(chain->front().get(), clock_());
    if (!d) continue;
    api::CertSummary e{id,
                       d->subject,
                       d->issuer,
                       x509::Rfc3339(d->not_before),
                       x509::Rfc3339(d->not_after),
                       d->sha256,
                       "",
                       (*stored)->preloaded};
    if (auto cred = s->config.credentials.find(id); cred != s->config.credentials.end())
      e.key_id = cred->second.key_id;
    if (!(*stored)->key_id.empty())
      e.key_id = (*stored)->key_id;  // the record's (a rotated key's versioned id)
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace edgesec::certd

#include "certd/server/issuer_cache.hpp"

#include "certd/server/key_rotation.hpp"
#include "common/x509/time.hpp"
#include "common/x509/validate.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {
namespace {

// The stored chain of `cert_id` with its validity dates.
Expected<std::shared_ptr<LoadedIssuer>> ParseIssuer(const std::string& cert_id,
                                                    const std::string& pem) {
  auto issuer = std::make_shared<LoadedIssuer>();
  issuer->cert_id = cert_id;
  auto chain = edgesec::x509::ParsePemChain(pem);
  if (!chain)
    return Internal("stored cert '" + cert_id + "' is not a PEM chain: " + chain.error().message);
  issuer->chain = std::move(*chain);
  X509* cert = issuer->chain.front().get();
  EDGESEC_ASSIGN_OR_RETURN(issuer->not_after, edgesec::x509::ToEpoch(X509_get0_notAfter(cert)));
  EDGESEC_ASSIGN_OR_RETURN(issuer->not_before, edgesec::x509::ToEpoch(X509_get0_notBefore(cert)));
  return issuer;
}

Status CheckIssuerValidity(const LoadedIssuer& issuer, int64_t now) {
  if (issuer.not_after <= now)
    return InvalidParameter("issuer certificate '" + issuer.cert_id + "' expired at " +
                            edgesec::x509::Rfc3339(issuer.not_after) + "; renew it first")
        .WithReason(ErrorReason::kIssuerExpired);
  if (issuer.not_before > now + edgesec::x509::kClockSkewSeconds)
    return InvalidParameter("issuer certificate '" + issuer.cert_id + "' is not valid before " +
                            edgesec::x509::Rfc3339(issuer.not_before));
  return {};
}

// The key recorded with the issuer's cert (a rotated key's versioned id), else the hint (a
// local_ca credential's issuer_key), else the issuer credential's key id, else the cert id.
std::string IssuerKeyId(const IssuerCache::Sources& from, const std::string& cert_id,
                        const std::string& recorded, const std::string& key_hint) {
  if (!recorded.empty()) return recorded;
  if (!key_hint.empty()) return key_hint;
  if (auto c = from.config.credentials.find(cert_id); c != from.config.credentials.end())
    if (!c->second.key_id.empty()) return c->second.key_id;
  return cert_id;
}

// The keyd-backed key of the issuer, which must be its certificate's.
Status AttachKey(const IssuerCache::Sources& from, LoadedIssuer* issuer, std::string handle) {
  if (handle.empty()) {
    auto h = from.keyd->GetKeyPair(issuer->key_id);
    if (!h)
      return KeydError(h.error(),
                       "key '" + issuer->key_id + "' of issuer '" + issuer->cert_id + "'",
                       KeyOrigin::kCaller);
    handle = *h;
  }
  auto key = keyd::LoadRemoteKey(from.keyd, handle);
  if (!key) return KeydError(key.error(), "issuer key", KeyOrigin::kCaller);
  if (EVP_PKEY_eq(X509_get0_pubkey(issuer->chain.front().get()), key->get()) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter("key does not match: the issuer key" +
                            (issuer->key_id.empty() ? "" : " '" + issuer->key_id + "'") +
                            " is not the key of issuer certificate '" + issuer->cert_id + "'");
  }
  issuer->key = std::move(*key);
  return {};
}

}  // namespace

IssuerPtr IssuerCache::Cached(const std::string& cert_id, const std::string& pem,
                              const std::string& handle, const std::string& key_hint) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(cert_id);
  if (it != entries_.end() && it->second.pem == pem && it->second.handle == handle &&
      it->second.key_hint == key_hint)
    return it->second.issuer;
  return nullptr;
}

Expected<IssuerPtr> IssuerCache::Load(const Sources& from, const std::string& cert_id,
                                      const std::string& handle, const std::string& key_hint) {
  EDGESEC_ASSIGN_OR_RETURN(auto stored, from.store.Get(cert_id));
  if (!stored) return InvalidParameter("issuer certificate '" + cert_id + "' is not in the store");
  if (IssuerPtr cached = Cached(cert_id, stored->pem, handle, key_hint)) {
    EDGESEC_TRY(CheckIssuerValidity(*cached, from.now));
    return cached;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto issuer, ParseIssuer(cert_id, stored->pem));
  EDGESEC_TRY(CheckIssuerValidity(*issuer, from.now));
  if (Status ca = edgesec::x509::CheckIssuingCa(issuer->chain.front().get()); !ca)
    return ca.error().Context("issuer certificate '" + cert_id + "'");
  if (handle.empty()) issuer->key_id = IssuerKeyId(from, cert_id, stored->key_id, key_hint);
  EDGESEC_TRY(AttachKey(from, issuer.get(), handle));
  std::lock_guard lock(mutex_);
  entries_[cert_id] = Entry{stored->pem, handle, key_hint, issuer};
  return IssuerPtr(issuer);
}

void IssuerCache::Forget(const std::string& cert_id) {
  std::lock_guard lock(mutex_);
  entries_.erase(cert_id);
}

void IssuerCache::Clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace edgesec::certd

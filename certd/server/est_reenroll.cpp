// EST re-enrollment (/simplereenroll) and server-side key generation (/serverkeygen), each with an
// atomic commit of cert + key id; see est_issuer.hpp.
#include <openssl/crypto.h>

#include "certd/renewal/pause.hpp"
#include "certd/server/est_issuer.hpp"
#include "certd/server/key_rotation.hpp"
#include "common/log.hpp"
#include "common/x509/validate.hpp"
#include "keyd/client/remote_key.hpp"

namespace edgesec::certd {
namespace {

// The TLS client identity of an enrolled cert: leaf, returned chain, key (references taken).
est::ClientIdentity IdentityOf(const est::EnrollResult& r, EVP_PKEY* key) {
  est::ClientIdentity id{{}, EvpPkeyPtr()};
  X509_up_ref(r.cert.get());
  id.chain.emplace_back(r.cert.get());
  for (const auto& c : r.chain)
    if (X509_up_ref(c.get()) == 1) id.chain.emplace_back(c.get());
  EVP_PKEY_up_ref(key);
  id.key.reset(key);
  return id;
}

}  // namespace

Expected<std::string> EstIssuer::Reenroll(const CertdConfig& config, const Credential& cred,
                                          std::shared_ptr<keyd::KeydClient> keyd,
                                          std::optional<bool> rotate) {
  std::lock_guard lock(mutex_);
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_.Get(cred.cert_id));
  if (!stored)
    return InvalidParameter("cert '" + cred.cert_id +
                            "' has not been enrolled yet; enroll it first (edgectl cert enroll " +
                            cred.cert_id + ")");
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain current, edgesec::x509::ParsePemChain(stored->pem));
  std::string current_key_id = stored->key_id.empty() ? cred.key_id : stored->key_id;
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr current_key, RemoteKey(keyd, current_key_id, false));
  if (cred.est.server_keygen)
    return RenewServerKeygen(config, cred, keyd, current, std::move(current_key), rotate);
  bool rotating = rotate.value_or(cred.policy.rotate_key);
  std::string new_key_id = rotating ? NextKeyId(cred.key_id, current_key_id) : current_key_id;
  EvpPkeyPtr new_key;
  if (rotating) {
    EDGESEC_ASSIGN_OR_RETURN(new_key,
                             RemoteKey(keyd, new_key_id, true, AlgorithmLike(current_key.get())));
  } else {
    EVP_PKEY_up_ref(current_key.get());
    new_key.reset(current_key.get());
  }
  renewal::PauseAt("after-key");
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr,
                           est::BuildReenrollCsr(current.front().get(), new_key.get()));

  EDGESEC_ASSIGN_OR_RETURN(est::EstClient client, est::MakeEstClient(config.est, &cred.est));
  Ctx x{config, cred, keyd, std::move(client), std::nullopt};
  x.client.SetIdentity(
      est::ClientIdentity{edgesec::x509::CopyChain(current), std::move(current_key)});
  // /cacerts before /simplereenroll: a server that revokes the old cert at issuance refuses it
  // afterwards, and the new one is not committed yet.
  if (auto ca = x.client.CaCerts(); ca) x.cacerts = std::move(*ca);
  auto r = x.client.SimpleReenroll(csr.get());
  if (!r)
    return FromEst(r.error(), "re-enrolling cert '" + cred.cert_id + "' at '" +
                                  x.client.Url("simplereenroll") + "'");
  renewal::PauseAt("after-cert");
  // From here on the new cert is the TLS client identity (the /cacerts of Verify): a server that
  // revokes the old cert at issuance (Lamassu) would refuse it.
  if (EVP_PKEY_eq(X509_get0_pubkey(r->cert.get()), new_key.get()) == 1)
    x.client.SetIdentity(IdentityOf(*r, new_key.get()));
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, Verify(x, *r, new_key.get()));
  if (Status st = edgesec::x509::CheckValidity(chain.front().get(), clock_.Now()); !st)
    return InvalidParameter("the cert the EST server returned is not valid now: " +
                            st.error().message);
  EDGESEC_TRY(RefuseNonCa(config, cred, chain.front().get()));
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, edgesec::x509::ChainToPem(chain));
  renewal::PauseAt("before-commit");
  // The commit: one rename writes the new cert with the key id it belongs to.
  EDGESEC_TRY(store_.Put(cred.cert_id, pem, new_key_id));
  renewal::PauseAt("after-commit");
  log::Info("certd: re-enrolled cert '" + cred.cert_id + "' with key '" + new_key_id + "'" +
            (rotating ? " (rotated from '" + current_key_id + "')" : ""));
  if (rotating && new_key_id != current_key_id) DeleteReplacedKey(keyd, current_key_id);
  CollectOrphanedKeys(keyd, store_, config, cred, new_key_id);
  return pem;
}

// A server_keygen credential renews as it enrolled: /serverkeygen again, authenticated by the
// current cert, the server's new key imported under the next versioned key id; the server always
// makes a new key, so keeping the key cannot be asked for.
Expected<std::string> EstIssuer::RenewServerKeygen(
    const CertdConfig& config, const Credential& cred, std::shared_ptr<keyd::KeydClient> keyd,
    const edgesec::x509::Chain& current, EvpPkeyPtr current_key, std::optional<bool> rotate) {
  if (rotate && !*rotate)
    return InvalidParameter("credential '" + cred.cert_id +
                            "' has server_keygen = true: the EST server makes a new key on each "
                            "renewal, so it cannot keep the key (omit --keep-key)");
  EDGESEC_ASSIGN_OR_RETURN(est::EstClient client, est::MakeEstClient(config.est, &cred.est));
  Ctx x{config, cred, keyd, std::move(client), std::nullopt};
  x.client.SetIdentity(
      est::ClientIdentity{edgesec::x509::CopyChain(current), std::move(current_key)});
  return EnrollServerKeygen(x);
}

namespace {

// The first key id after `current_key_id` (or `base` itself when there is none) that keyd does
// not hold: ids left behind by an interrupted enrollment are skipped.
Expected<std::string> FreeKeyId(keyd::KeydClient& keyd, const std::string& base,
                                const std::string& current_key_id) {
  std::string id = current_key_id.empty() ? base : NextKeyId(base, current_key_id);
  for (int tries = 0;; ++tries) {
    auto existing = keyd.GetKeyPair(id);
    if (!existing && existing.error().kind == ErrorKind::kNotFound) return id;
    if (!existing) return KeydError(existing.error(), "key '" + id + "'");
    if (tries >= 100) return Internal("no free versioned key id after '" + id + "'");
    id = NextKeyId(base, id);
  }
}

}  // namespace

// RFC 7030 4.4: the server makes the key. The CSR only carries the subject and SANs, so it is
// signed by a throwaway in-process key; the returned key is imported into keyd under a key id no
// key has yet (<key_id>, then <key_id>-v2, -v3, …) and only then named by the cert record.
Expected<std::string> EstIssuer::EnrollServerKeygen(Ctx& x) {
  const Credential& cred = x.cred;
  EDGESEC_ASSIGN_OR_RETURN(auto stored, store_.Get(cred.cert_id));
  std::string current_key_id;
  if (stored) current_key_id = stored->key_id.empty() ? cred.key_id : stored->key_id;
  EDGESEC_ASSIGN_OR_RETURN(std::string new_key_id, FreeKeyId(*x.keyd, cred.key_id, current_key_id));

  std::optional<est::CsrAttrs> attrs;
  if (auto a = x.client.CsrAttributes(); a)
    attrs = std::move(*a);
  else
    log::Notice("certd: EST /csrattrs failed, building the CSR without them: " + a.error().message);
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr throwaway, est::GenerateKeyFor(attrs ? &*attrs : nullptr));
  est::CsrSpec spec;
  spec.subject = cred.SubjectOrDefault();
  spec.sans = cred.sans;
  spec.key = throwaway.get();
  spec.attrs = attrs ? &*attrs : nullptr;
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, est::BuildCsr(spec));
  throwaway.reset();

  auto r = x.client.ServerKeygen(csr.get());
  if (!r)
    return FromEst(r.error(), "enrolling cert '" + cred.cert_id + "' at '" +
                                  x.client.Url("serverkeygen") + "'");
  if (r->chain.empty())
    return InvalidParameter("the EST server's /serverkeygen answer has no certificate");
  Bytes der(r->pkcs8_der.data(), r->pkcs8_der.data() + r->pkcs8_der.size());
  r->pkcs8_der = Secret();  // wiped
  auto key = PrivateKeyFromPkcs8Der(der);
  if (!key) {
    OPENSSL_cleanse(der.data(), der.size());
    return InvalidParameter("the EST server's /serverkeygen key does not parse: " +
                            key.error().message);
  }
  est::EnrollResult result;
  result.cert = std::move(r->chain.front());
  for (size_t i = 1; i < r->chain.size(); ++i) result.chain.push_back(std::move(r->chain[i]));
  auto chain = Verify(x, result, key->get());  // key ↔ cert, and the chain to the anchors
  Status ca = chain ? RefuseNonCa(x.config, cred, chain->front().get()) : Status();
  if (!chain || !ca) {
    OPENSSL_cleanse(der.data(), der.size());
    return chain ? ca.error() : chain.error();
  }
  auto handle = x.keyd->ImportKeyPair(new_key_id, der);
  OPENSSL_cleanse(der.data(), der.size());
  if (!handle) return KeydError(handle.error(), "importing key '" + new_key_id + "'");
  auto drop_new = [&] {
    if (Status st = x.keyd->DeleteKeyPair(*handle); !st)
      log::Warning("certd: could not delete the unused key '" + new_key_id +
                   "': " + st.error().message);
  };
  auto pub = x.keyd->PublicKey(*handle);
  if (!pub || EVP_PKEY_eq(pub->get(), key->get()) != 1) {
    drop_new();
    return pub ? Internal("keyd's key '" + new_key_id + "' is not the key that was imported")
               : KeydError(pub.error(), "key '" + new_key_id + "'");
  }
  auto pem = edgesec::x509::ChainToPem(*chain);
  if (!pem) {
    drop_new();
    return pem.error();
  }
  // The commit: one rename writes the new cert with the key id it belongs to.
  if (Status st = store_.Put(cred.cert_id, *pem, new_key_id); !st) {
    drop_new();
    return st.error();
  }
  log::Info("certd: enrolled cert '" + cred.cert_id + "' with the EST server's key, imported as '" +
            new_key_id + "', at '" + x.client.Url("serverkeygen") + "'");
  if (!current_key_id.empty() && current_key_id != new_key_id)
    DeleteReplacedKey(x.keyd, current_key_id);
  CollectOrphanedKeys(x.keyd, store_, x.config, cred, new_key_id);
  return *pem;
}

}  // namespace edgesec::certd

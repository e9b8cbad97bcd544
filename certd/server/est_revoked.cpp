// Re-enrollment of a revoked EST cert (docs/certd.md, "Revocation (CRL)"): a new key, and
// /simpleenroll (or /serverkeygen for a server_keygen credential) with enrollment's
// authentication, since a server that knows the cert is revoked refuses it as the TLS client
// identity of a /simplereenroll.
#include "certd/est/csr.hpp"
#include "certd/server/est_issuer.hpp"
#include "certd/server/key_rotation.hpp"
#include "common/log.hpp"

namespace edgesec::certd {

Expected<std::string> EstIssuer::EnrollRevoked(const CertdConfig& config, const Credential& cred,
                                               std::shared_ptr<keyd::KeydClient> keyd,
                                               const std::string& new_key_id) {
  std::lock_guard lock(mutex_);
  EDGESEC_ASSIGN_OR_RETURN(est::EstClient client, est::MakeEstClient(config.est, &cred.est));
  Ctx x{config, cred, keyd, std::move(client), std::nullopt};
  std::optional<est::ClientIdentity> auth;
  const EstSettings& e = config.est;
  if (e.identity_cert == cred.cert_id) {
    // The revoked cert is the EST identity itself: the bootstrap identity, if any.
    if (!e.bootstrap_identity_cert.empty()) {
      EDGESEC_ASSIGN_OR_RETURN(
          auth, LoadIdentity(x, e.bootstrap_identity_cert, e.bootstrap_identity_key, false));
    }
  } else {
    EDGESEC_ASSIGN_OR_RETURN(auth, EnrollAuth(x));
  }
  const bool authenticated = auth.has_value();
  x.client.SetIdentity(std::move(auth));
  if (!authenticated && !x.client.HasBasic())
    log::Notice("certd: re-enrolling revoked cert '" + cred.cert_id +
                "' with neither a bootstrap identity nor HTTP Basic; the EST server may refuse it");
  // The server makes the key: /serverkeygen, with the same authentication (never the revoked
  // cert); it imports the new key under a fresh versioned id.
  if (cred.est.server_keygen) return EnrollServerKeygen(x);
  EDGESEC_ASSIGN_OR_RETURN(
      EvpPkeyPtr key,
      RemoteKey(
          keyd, new_key_id, true,
          cred.algorithm.empty() ? std::nullopt : std::optional<std::string>(cred.algorithm)));
  est::CsrSpec spec;
  spec.subject = cred.SubjectOrDefault();
  spec.sans = cred.sans;
  spec.key = key.get();
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr csr, est::BuildCsr(spec));
  auto r = x.client.SimpleEnroll(csr.get());
  if (!r)
    return FromEst(r.error(), "re-enrolling revoked cert '" + cred.cert_id + "' at '" +
                                  x.client.Url("simpleenroll") + "'");
  EDGESEC_ASSIGN_OR_RETURN(edgesec::x509::Chain chain, Verify(x, *r, key.get()));
  EDGESEC_TRY(RefuseNonCa(config, cred, chain.front().get()));
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, edgesec::x509::ChainToPem(chain));
  EDGESEC_TRY(store_.Put(cred.cert_id, pem, new_key_id));
  log::Notice("certd: re-enrolled revoked cert '" + cred.cert_id + "' with new key '" + new_key_id +
              "' at '" + x.client.Url("simpleenroll") + "'");
  return pem;
}

}  // namespace edgesec::certd

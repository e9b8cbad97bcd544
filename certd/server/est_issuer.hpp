#pragma once
// certd's EST issuance (DESIGN.md, "EST client"): enrollment of `method = "est"` credentials with
// the key in keyd, the bootstrap → EST identity flow, and re-enrollment with an atomic commit.
//
// Authentication of /simpleenroll: the EST identity cert if one is held (and valid), else the
// bootstrap identity — which, when [est] names an `identity_cert`, is used to obtain that EST
// identity first — else none; plus HTTP Basic when a username is configured. /simplereenroll: TLS
// with the cert being renewed.
//
// Commit: the cert record names its key id (store::CertStore::Put), so a re-enrollment that rotates
// the key creates the new key under a versioned id (<key_id>-v2, -v3, …), verifies the new cert
// against it and then writes cert + key id with one rename; the old key is deleted afterwards. A
// kill at any point leaves the record naming the key that matches its cert.
//
// Errors: the EST server's status and message — kUnavailable (503) when trying later may help (5xx,
// timeouts, dropped connections, 202 beyond max_wait), kInvalidParameter (400) otherwise; keyd
// failures as keyd's; a returned cert that does not chain to the trust anchors or does not match
// the key: 400.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "certd/est/est_client.hpp"
#include "certd/est/est_factory.hpp"
#include "certd/store/store.hpp"
#include "common/clock.hpp"
#include "common/x509/pem.hpp"
#include "config/certd/config.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::certd {

class EstIssuer {
 public:
  // `clock` outlives the issuer (certd's service owns both).
  EstIssuer(store::CertStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // POST /certificates for an est credential: `csr_pem` empty → certd builds the CSR with the keyd
  // key (shaped by /csrattrs); else that CSR, which must be for the credential's key. Returns leaf
  // + chain PEM. A `server_keygen` credential enrolls through /serverkeygen instead (no CSR may be
  // given): the CSR is signed by a throwaway key, the server's key is checked against its cert and
  // imported into keyd under a fresh versioned key id, then cert + key id are committed with one
  // Put and the previous key is deleted.
  Expected<std::string> Enroll(const CertdConfig& config, const Credential& cred,
                               std::shared_ptr<keyd::KeydClient> keyd, const std::string& csr_pem);
  // POST /credentials/{id}/renew: /simplereenroll; `rotate` overrides the credential's rotate_key.
  // A `server_keygen` credential renews through /serverkeygen, with the current cert as TLS client
  // identity; `rotate` = false is refused (the server always makes a new key).
  Expected<std::string> Reenroll(const CertdConfig& config, const Credential& cred,
                                 std::shared_ptr<keyd::KeydClient> keyd,
                                 std::optional<bool> rotate);

  // est_revoked.cpp: the stored cert of `cred` is revoked: /simpleenroll (not /simplereenroll —
  // the revoked cert cannot authenticate) with a new key under `new_key_id`, authenticated as an
  // enrollment is (the EST identity when it is another, valid cert; else the bootstrap identity;
  // else none; plus HTTP Basic when configured); commits cert + key id with one Put.
  Expected<std::string> EnrollRevoked(const CertdConfig& config, const Credential& cred,
                                      std::shared_ptr<keyd::KeydClient> keyd,
                                      const std::string& new_key_id);
  // The key id that goes with a stored cert: the record's, else the credential's.
  std::string KeyIdOf(const std::string& cert_id, const std::string& fallback) const;

 private:
  struct Ctx {
    const CertdConfig& config;
    const Credential& cred;
    std::shared_ptr<keyd::KeydClient> keyd;
    est::EstClient client;
    std::optional<std::vector<X509Ptr>> cacerts;  // fetched once per operation, for verification
  };
  Expected<std::optional<est::ClientIdentity>> EnrollAuth(Ctx& x);
  Expected<std::optional<est::ClientIdentity>> LoadIdentity(Ctx& x, const std::string& cert_ref,
                                                            const std::string& key_id,
                                                            bool require_valid);
  Expected<std::string> ObtainIdentity(Ctx& x, est::ClientIdentity bootstrap);
  Expected<std::string> EnrollServerKeygen(Ctx& x);
  Expected<std::string> RenewServerKeygen(const CertdConfig& config, const Credential& cred,
                                          std::shared_ptr<keyd::KeydClient> keyd,
                                          const edgesec::x509::Chain& current,
                                          EvpPkeyPtr current_key, std::optional<bool> rotate);
  // Verifies `r` (chain to the anchors, key match) and returns leaf + chain, leaf first.
  Expected<edgesec::x509::Chain> Verify(Ctx& x, est::EnrollResult& r, EVP_PKEY* key);

  store::CertStore& store_;
  const Clock& clock_;
  std::mutex mutex_;  // one enrollment at a time: a bootstrap must not run twice
};

// The CN of the EST identity's CSR: [est] identity_common_name, else "est-id-<CN of `cred`>";
// kInvalidParameter when the configured one is `cred`'s own CN.
Expected<std::string> IdentityCommonName(const EstSettings& e, const Credential& cred);

// A credential that must hold a CA cert (the Edge CA, [local_ca] cert, an issuer_cert of a
// local_ca credential, or a profile with ca = true) refuses a cert that cannot issue (no
// basicConstraints CA:TRUE, or a keyUsage without keyCertSign): kInvalidParameter saying why, also
// logged; nothing is stored, so the current cert (and CA) stays in use.
bool MustBeCa(const CertdConfig& config, const Credential& cred);
Status RefuseNonCa(const CertdConfig& config, const Credential& cred, X509* cert);

// An EST library error as certd answers it: kUnavailable when retryable, else kInvalidParameter.
Error FromEst(const Error& e, const std::string& what);

}  // namespace edgesec::certd

#pragma once
// The key half of a two-phase renewal, for every method: a rotated key is created under a
// versioned id (<key_id>-v2, -v3, …) that no cert record names yet, the new cert is committed with
// one store write naming that id, and only then is the old key deleted. A kill at any point leaves
// the record naming the key that matches its cert (a key left behind by a killed renewal is not
// named by any record and is reused by the next one). Versions older than a committed one that no
// record names — the replaced key of a renewal killed between its commit and the deletion, or a key
// an interrupted EST serverkeygen imported and then skipped — are collected after the next commit
// (CollectOrphanedKeys), so that no orphan is left forever.

#include <memory>
#include <optional>
#include <string>

#include "certd/store/store.hpp"
#include "common/error.hpp"
#include "common/ossl.hpp"
#include "config/certd/config.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::certd {

// The version of a key id of `base`: 1 for base itself, N for base-vN; nullopt for any other id.
std::optional<long> KeyVersion(const std::string& base, const std::string& key_id);
// <base>-v2 after <base>, <base>-v(N+1) after <base>-vN.
std::string NextKeyId(const std::string& base, const std::string& current);
// The keyd algorithm token of a key like `key` (a rotated key keeps the type and size).
std::optional<std::string> AlgorithmLike(EVP_PKEY* key);
// Whose key certd asked keyd about: decides who must act on keyd's refusal.
enum class KeyOrigin {
  kCertd,   // certd's own key (a credential's): any refusal is certd's problem
  kCaller,  // a key the caller named (an issuer's): keyd's 400/404 are the caller's
};
// The one translation of a keyd error into certd's, named as keyd's ("<what>: keyd says: …"):
// kUnavailable stays (try later); for a kCaller key a 400/404 becomes kInvalidParameter; the rest
// is kInternal (a 401 from keyd is certd's problem, not the caller's).
Error KeydError(const Error& e, const std::string& what, KeyOrigin origin = KeyOrigin::kCertd);
// The keyd-backed key `key_id`, created first when `create` (with `algorithm`, else keyd's
// default).
Expected<EvpPkeyPtr> RemoteKey(const std::shared_ptr<keyd::KeydClient>& keyd,
                               const std::string& key_id, bool create,
                               const std::optional<std::string>& algorithm = std::nullopt);
// After the commit: deletes the replaced key; a failure only leaves an unused key (logged).
void DeleteReplacedKey(const std::shared_ptr<keyd::KeydClient>& keyd, const std::string& key_id);
// After the commit of `committed` for `cred`: deletes keyd's keys of cred.key_id older than
// `committed` (KeyVersion) that no stored cert record and no other credential names — keys no
// renewal will ever reuse (NextKeyId only counts up). Failures are logged, never returned.
void CollectOrphanedKeys(const std::shared_ptr<keyd::KeydClient>& keyd,
                         const store::CertStore& store, const CertdConfig& config,
                         const Credential& cred, const std::string& committed);

}  // namespace edgesec::certd

#pragma once
// The issuers certd signs with (POST /certificates with an issuer, local_ca credentials): an
// issuer's stored chain and its keyd-backed key, checked to match, loaded once and reused while its
// stored PEM, the handle asked for and the key hint stay the same — the keyd round trips of
// finding and checking the key are paid once, not per issuance (module certs).
// Errors of Load: kInvalidParameter (not in the store, expired — reason kIssuerExpired —, not yet
// valid, not an issuing CA, a key that does not match, keyd's 400/404 for the key), kUnavailable
// (keyd unreachable), kInternal (a stored cert that is not PEM, keyd's other refusals).

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "certd/store/store.hpp"
#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/x509/pem.hpp"
#include "config/certd/config.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::certd {

struct LoadedIssuer {
  std::string cert_id, key_id;
  edgesec::x509::Chain chain;
  EvpPkeyPtr key;
  int64_t not_before = 0, not_after = 0;
};
using IssuerPtr = std::shared_ptr<const LoadedIssuer>;

class IssuerCache {
 public:
  // Where an issuer is found: the running config (the issuer credential's key id), the store, keyd.
  struct Sources {
    const CertdConfig& config;
    store::CertStore& store;
    std::shared_ptr<keyd::KeydClient> keyd;
    int64_t now;
  };
  // `handle` empty: the key recorded with the issuer's stored cert, else `key_hint`, else the
  // issuer credential's key id, else the cert id, found through keyd. Validity is checked on every
  // call, cached or not: time moves, the cert does not.
  Expected<IssuerPtr> Load(const Sources& from, const std::string& cert_id,
                           const std::string& handle, const std::string& key_hint);
  // After a signing failure (e.g. its key went away in keyd): loaded afresh next time.
  void Forget(const std::string& cert_id);
  // A new keyd socket or new preloaded files: every issuer is loaded afresh.
  void Clear();

 private:
  struct Entry {
    std::string pem, handle, key_hint;
    IssuerPtr issuer;
  };
  IssuerPtr Cached(const std::string& cert_id, const std::string& pem, const std::string& handle,
                   const std::string& key_hint);

  std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // by issuer cert id
};

}  // namespace edgesec::certd

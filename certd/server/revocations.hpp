#pragma once
// The revocation state of the certs certd holds (docs/certd.md, "Revocation"), apart from what
// certd does about a revoked cert (revocation.cpp): per URL, the last good CRL (from the network or
// the on-disk cache), when it is fetched next and how fetching fails (exponential backoff); per
// cert, good / revoked / unknown, stale, the last error. A CRL counts only when it verifies with
// the cert's issuer (revocation/crl.hpp); a refused or unreachable CRL changes nothing — the last
// good one stays in force, past its nextUpdate too (then the cert is "stale").
// Thread-safe: one pass at a time.

#include <openssl/x509.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "certd/api/lifecycle_api.hpp"
#include "certd/revocation/cache.hpp"
#include "certd/revocation/crl.hpp"
#include "certd/revocation/ocsp.hpp"
#include "common/clock.hpp"

namespace edgesec::certd {

struct RevocationTarget {
  std::string id, sha256;
  X509* cert = nullptr;
  X509* issuer = nullptr;  // null: certd holds no cert that issued it
  std::vector<std::string> crl_urls;
  std::vector<std::string> ocsp_urls;  // asked first; the CRLs are the fallback
};

struct FoundRevoked {
  std::string id, sha256;
  revocation::RevokedEntry entry;
  std::string source = "crl";  // or "ocsp"
};

class Revocations {
 public:
  Revocations(const Clock& clock, const std::string& cache_dir);
  // [revocation] refresh: when a CRL has no nextUpdate.
  void SetRefresh(int64_t seconds);

  struct Pass {
    std::vector<FoundRevoked> revoked;  // every revoked cert found (new or already known)
    std::optional<int64_t> next_at;     // the next fetch due
  };
  // Fetches the due CRLs of `targets` (every CRL of `force_id`, due or not) and re-evaluates each
  // target. Targets no longer given are forgotten.
  Pass Run(const std::vector<RevocationTarget>& targets, const std::string& force_id);

  std::optional<api::RevocationInfo> InfoOf(const std::string& id) const;
  // cert id → stale (the metric edgesec_revocation_stale).
  std::map<std::string, bool> Staleness() const;

 private:
  struct UrlState {
    revocation::CrlPtr crl;  // the last good one
    revocation::CrlTimes times;
    int64_t next_fetch = 0;
    int failures = 0;
    int64_t checked_at = 0;  // when the last good one was fetched or loaded
    std::string last_error;
    bool cache_tried = false;
  };
  struct OcspState {
    std::string sha256;  // the cert the answer is about
    std::optional<revocation::OcspAnswer> answer;
    int64_t next_fetch = 0, checked_at = 0;
    int failures = 0;
    std::string last_error;
  };
  struct CertState {
    std::string state = "unknown", source = "crl";
    int64_t checked_at = 0;
    std::optional<int64_t> next_update;
    bool stale = false;
    std::string last_error;
  };
  void Refresh(const std::string& url, UrlState& u, X509* issuer, int64_t now);
  void LoadCached(const std::string& url, UrlState& u, X509* issuer, int64_t now);
  void Failed(const std::string& url, UrlState& u, const std::string& why, const char* result,
              int64_t now);
  int64_t Backoff(int failures) const;
  void AskOcsp(const RevocationTarget& t, OcspState& o, int64_t now);
  // The OCSP answer when it decides (good or revoked, not past nextUpdate).
  std::optional<CertState> FromOcsp(const RevocationTarget& t, const OcspState& o, int64_t now,
                                    std::vector<FoundRevoked>* found) const;
  int64_t NextRefresh(const revocation::CrlTimes& t, int64_t now);
  CertState Evaluate(const RevocationTarget& t, int64_t now, std::vector<FoundRevoked>* found);

  const Clock& clock_;
  revocation::CrlCache cache_;
  int64_t refresh_ = 86400;
  mutable std::mutex mutex_;
  std::map<std::string, UrlState> urls_;
  std::map<std::string, CertState> certs_;
  std::map<std::string, OcspState> ocsp_;  // by cert id
  std::mt19937_64 jitter_{std::random_device{}()};
};

// The counter edgesec_revocation_checks_total{source,result}.
void CountRevocationCheck(const char* source, const char* result);

}  // namespace edgesec::certd

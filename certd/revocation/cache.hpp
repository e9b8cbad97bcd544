#pragma once
// The last good CRL of each URL, on disk under <state dir>/revocation/ (0755; files 0644, written
// atomically), so that a restart offline still knows what was revoked. One file per URL, named from
// the SHA-256 of the URL: an "edgesec-crl-url: <url>" line, then the CRL in PEM. A file that is
// damaged (no such line, another URL, not a CRL, not certd's or writable by others) is kept aside
// as <file>.bad-<UTC> with one error line and counts as absent (the CRL is fetched again).
// Whether the CRL counts (its signer) is checked again by the caller at every use.

#include <cstdint>
#include <optional>
#include <string>

#include "certd/revocation/crl.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace edgesec::certd::revocation {

class CrlCache {
 public:
  // `dir` is created on the first Save.
  CrlCache(std::string dir, const Clock& clock) : dir_(std::move(dir)), clock_(clock) {}
  // nullopt: none, or damaged (kept aside).
  std::optional<CrlPtr> Load(const std::string& url) const;
  // kInternal when the file cannot be written.
  Status Save(const std::string& url, X509_CRL* crl) const;
  std::string PathFor(const std::string& url) const;

 private:
  std::string dir_;
  const Clock& clock_;
};

}  // namespace edgesec::certd::revocation

#pragma once
// The lifecycle model of a cert certd holds (docs/certd.md, "Lifecycle: status, type, level,
// history"): the facts read once from a stored chain (cached with the StoredCert by file stamp),
// and the pure functions that make status, type and CA level of them. The canonical status of a
// cert at time `now` is StatusAt(facts, now, revoked): the metrics and the certs API both call it.

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::certd::store {

enum class CertStatus { kActive, kExpired, kRevoked, kInactive };
enum class CertType { kManaged, kImportedWithKey, kImportedWithoutKey };
const char* StatusName(CertStatus s);  // "active", "expired", "revoked", "inactive"
const char* TypeName(CertType t);      // "managed", "imported-with-key", "imported-without-key"
const char* const kAllStatuses[] = {"active", "expired", "revoked", "inactive"};

// What the lifecycle needs of a chain, read from it once.
struct CertFacts {
  std::string serial;             // hex, uppercase, as `openssl x509 -serial` prints it
  std::string sha256;             // "AB:CD:…", as `openssl x509 -fingerprint -sha256` prints it
  std::string public_key_sha256;  // lowercase hex SHA-256 of the leaf's SubjectPublicKeyInfo DER
  int64_t not_before = 0, not_after = 0;
  bool is_ca = false;            // basicConstraints CA:TRUE on the leaf
  int chain_length = 1;          // certificates in the stored chain, the leaf included
  bool top_self_issued = false;  // the chain's last cert is self-issued: a root is present
};
// kInvalidParameter for an empty chain or unreadable validity dates.
Expected<CertFacts> FactsOf(const edgesec::x509::Chain& chain);

// revoked > expired (notAfter <= now) > inactive (notBefore > now, or `retired`: a past
// generation replaced by a renewal or rollover) > active.
CertStatus StatusAt(const CertFacts& f, int64_t now, bool revoked = false, bool retired = false);

// The CA level of the leaf (nullopt when the leaf is no CA): 0 root, 1 intermediate, 2+ issuing.
// A chain whose last cert is self-issued: chain_length - 1. Otherwise the root is not stored:
// `issuer_level` is the level of the cert certd holds that issued the chain's last cert (a
// local_ca credential's issuer), giving chain_length + issuer_level; without it the absent root is
// counted as level 0, giving chain_length.
std::optional<int> LevelOf(const CertFacts& f, std::optional<int> issuer_level = std::nullopt);

struct TypeInputs {
  bool renewable_credential = false;  // a [[credential]] of method self_signed, local_ca or est
  bool issued_by_certd = false;       // the current generation's origin is "issued"
  bool key_known = false;             // a key id is recorded with the cert or named by a credential
};
// managed (renewable credential, or issued by certd) > imported-with-key > imported-without-key.
CertType TypeOf(const TypeInputs& in);

}  // namespace edgesec::certd::store

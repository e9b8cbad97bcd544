#include "certd/store/lifecycle.hpp"

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/ossl.hpp"
#include "common/x509/details.hpp"
#include "common/x509/time.hpp"

namespace edgesec::certd::store {
namespace {

std::string SerialHex(X509* cert) {
  BignumPtr bn{ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)};
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  // `openssl x509 -serial` prints whole bytes ("0A" for 10): BN_bn2hex does too, but "0" for 0.
  return out == "0" ? "00" : out;
}

std::string PublicKeySha256(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return {};
  std::string out = HexLower(Sha256(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  return out;
}

bool SelfIssued(X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0 &&
         X509_check_issued(cert, cert) == X509_V_OK;
}

}  // namespace

const char* StatusName(CertStatus s) {
  switch (s) {
    case CertStatus::kActive:
      return "active";
    case CertStatus::kExpired:
      return "expired";
    case CertStatus::kRevoked:
      return "revoked";
    case CertStatus::kInactive:
      return "inactive";
  }
  return "inactive";
}

const char* TypeName(CertType t) {
  switch (t) {
    case CertType::kManaged:
      return "managed";
    case CertType::kImportedWithKey:
      return "imported-with-key";
    case CertType::kImportedWithoutKey:
      return "imported-without-key";
  }
  return "imported-without-key";
}

Expected<CertFacts> FactsOf(const edgesec::x509::Chain& chain) {
  if (chain.empty()) return InvalidParameter("the chain holds no certificate");
  X509* leaf = chain.front().get();
  CertFacts f;
  EDGESEC_ASSIGN_OR_RETURN(f.not_before, edgesec::x509::ToEpoch(X509_get0_notBefore(leaf)));
  EDGESEC_ASSIGN_OR_RETURN(f.not_after, edgesec::x509::ToEpoch(X509_get0_notAfter(leaf)));
  f.serial = SerialHex(leaf);
  f.sha256 = edgesec::x509::Sha256Fingerprint(leaf);
  f.public_key_sha256 = PublicKeySha256(leaf);
  f.is_ca = (X509_get_extension_flags(leaf) & EXFLAG_CA) != 0;
  f.chain_length = static_cast<int>(chain.size());
  f.top_self_issued = SelfIssued(chain.back().get());
  DrainOpenSslErrors();
  return f;
}

CertStatus StatusAt(const CertFacts& f, int64_t now, bool revoked, bool retired) {
  if (revoked) return CertStatus::kRevoked;
  if (f.not_after <= now) return CertStatus::kExpired;
  if (f.not_before > now || retired) return CertStatus::kInactive;
  return CertStatus::kActive;
}

std::optional<int> LevelOf(const CertFacts& f, std::optional<int> issuer_level) {
  if (!f.is_ca) return std::nullopt;
  if (f.top_self_issued) return f.chain_length - 1;
  if (issuer_level) return f.chain_length + *issuer_level;
  return f.chain_length;
}

CertType TypeOf(const TypeInputs& in) {
  if (in.renewable_credential || in.issued_by_certd) return CertType::kManaged;
  return in.key_known ? CertType::kImportedWithKey : CertType::kImportedWithoutKey;
}

}  // namespace edgesec::certd::store

#include "certd/revocation/crl.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "common/x509/details.hpp"
#include "common/x509/time.hpp"

namespace edgesec::certd::revocation {
namespace {

std::string UriOf(const GENERAL_NAME* name) {
  if (name->type != GEN_URI) return {};
  const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     static_cast<size_t>(ASN1_STRING_length(uri)));
}

// http(s) only, and nothing that could break a log line or the cache file's URL line.
bool IsHttpUrl(const std::string& url) {
  if (url.size() > 2048) return false;
  for (unsigned char ch : url)
    if (ch <= 0x20 || ch >= 0x7f) return false;
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

}  // namespace

std::vector<std::string> CrlUrls(X509* cert) {
  std::vector<std::string> urls;
  auto* points = static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  if (!points) return urls;
  for (int i = 0; i < sk_DIST_POINT_num(points); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points, i);
    if (!dp->distpoint || dp->distpoint->type != 0) continue;  // 1: a name relative to the issuer
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      std::string url = UriOf(sk_GENERAL_NAME_value(names, j));
      if (IsHttpUrl(url) && std::find(urls.begin(), urls.end(), url) == urls.end())
        urls.push_back(url);
    }
  }
  CRL_DIST_POINTS_free(points);
  return urls;
}

Expected<CrlPtr> ParseCrl(std::string_view bytes) {
  if (bytes.empty()) return InvalidParameter("the CRL is empty");
  if (bytes.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    CrlPtr crl(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!crl) {
      DrainOpenSslErrors();
      return InvalidParameter("not a PEM CRL (the X509 CRL block does not decode)");
    }
    return crl;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* start = p;
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size())));
  if (!crl) {
    DrainOpenSslErrors();
    return InvalidParameter("not a CRL (neither DER nor PEM)");
  }
  if (static_cast<size_t>(p - start) != bytes.size())
    return InvalidParameter("not a CRL (" + std::to_string(bytes.size() - (p - start)) +
                            " bytes after the DER)");
  return crl;
}

Expected<std::string> CrlToDer(X509_CRL* crl) {
  unsigned char* der = nullptr;
  int len = i2d_X509_CRL(crl, &der);
  if (len <= 0) return OpenSslError("cannot encode the CRL");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Expected<CrlTimes> TimesOf(X509_CRL* crl) {
  CrlTimes t;
  const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl);
  if (!last) return InvalidParameter("the CRL has no thisUpdate");
  EDGESEC_ASSIGN_OR_RETURN(t.this_update, x509::ToEpoch(last));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl)) {
    EDGESEC_ASSIGN_OR_RETURN(int64_t n, x509::ToEpoch(next));
    t.next_update = n;
  }
  return t;
}

Status VerifyCrl(X509_CRL* crl, X509* issuer, int64_t now) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
    return InvalidParameter("the CRL's issuer '" + x509::NameText(X509_CRL_get_issuer(crl)) +
                            "' is not the cert's issuer '" +
                            x509::NameText(X509_get_subject_name(issuer)) + "'");
  if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) &&
      !(X509_get_key_usage(issuer) & KU_CRL_SIGN))
    return InvalidParameter("the issuer '" + x509::NameText(X509_get_subject_name(issuer)) +
                            "' may not sign CRLs (its keyUsage lacks cRLSign)");
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (!key || X509_CRL_verify(crl, key) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter("the CRL's signature does not verify with the issuer's key");
  }
  EDGESEC_ASSIGN_OR_RETURN(CrlTimes times, TimesOf(crl));
  if (times.this_update > now + kSkewSeconds)
    return InvalidParameter("the CRL's thisUpdate (" + x509::Rfc3339(times.this_update) +
                            ") is in the future");
  if (times.next_update && *times.next_update < times.this_update)
    return InvalidParameter("the CRL's nextUpdate is before its thisUpdate");
  return {};
}

std::string ReasonName(int code) {
  static const char* const kNames[] = {
      "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
      "superseded",    "cessationOfOperation", "certificateHold", "unspecified",
      "removeFromCRL", "privilegeWithdrawn",   "aACompromise"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) return "unspecified";
  return kNames[code];
}

std::optional<RevokedEntry> FindRevoked(X509_CRL* crl, X509* cert) {
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_serial(crl, &entry, X509_get0_serialNumber(cert)) != 1 || !entry)
    return std::nullopt;
  RevokedEntry r;
  if (auto at = x509::ToEpoch(X509_REVOKED_get0_revocationDate(entry))) r.at = *at;
  int crit = 0;
  auto* code = static_cast<ASN1_ENUMERATED*>(
      X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &crit, nullptr));
  int reason = code ? static_cast<int>(ASN1_ENUMERATED_get(code)) : 0;
  ASN1_ENUMERATED_free(code);
  if (reason == 8) return std::nullopt;  // removeFromCRL (delta CRLs): no longer revoked
  r.reason = ReasonName(reason);
  return r;
}

X509* FindIssuer(X509* cert, const std::vector<X509*>& candidates) {
  for (X509* c : candidates)
    if (c && c != cert && X509_check_issued(c, cert) == X509_V_OK) {
      EVP_PKEY* key = X509_get0_pubkey(c);
      if (key && X509_verify(cert, key) == 1) return c;
      DrainOpenSslErrors();
    }
  return nullptr;
}

}  // namespace edgesec::certd::revocation

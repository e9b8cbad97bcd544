#include "certd/revocation/ocsp.hpp"

#include <openssl/x509v3.h>

#include "certd/revocation/crl.hpp"
#include "common/ossl.hpp"
#include "common/x509/time.hpp"

namespace edgesec {
template <>
struct Deleter<OCSP_RESPONSE> {
  void operator()(OCSP_RESPONSE* p) const { OCSP_RESPONSE_free(p); }
};
template <>
struct Deleter<OCSP_BASICRESP> {
  void operator()(OCSP_BASICRESP* p) const { OCSP_BASICRESP_free(p); }
};
template <>
struct Deleter<OCSP_REQUEST> {
  void operator()(OCSP_REQUEST* p) const { OCSP_REQUEST_free(p); }
};
template <>
struct Deleter<OCSP_CERTID> {
  void operator()(OCSP_CERTID* p) const { OCSP_CERTID_free(p); }
};
}  // namespace edgesec

namespace edgesec::certd::revocation {
namespace {

constexpr long kSkew = 300;

Expected<int64_t> Epoch(const ASN1_GENERALIZEDTIME* t) {
  return x509::ToEpoch(t);
}

// The signer counts when it is the issuer, or a cert the issuer issued for OCSP signing.
Status CheckSigner(X509* signer, X509* issuer) {
  if (X509_cmp(signer, issuer) == 0) return {};
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  if (X509_check_issued(issuer, signer) != X509_V_OK || !issuer_key ||
      X509_verify(signer, issuer_key) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter(
        "the OCSP answer is signed by a responder the cert's issuer did not "
        "issue");
  }
  if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
      !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
    return InvalidParameter("the OCSP responder's cert lacks id-kp-OCSPSigning");
  return {};
}

}  // namespace

std::vector<std::string> OcspUrls(X509* cert) {
  std::vector<std::string> urls;
  STACK_OF(OPENSSL_STRING)* list = X509_get1_ocsp(cert);
  for (int i = 0; i < sk_OPENSSL_STRING_num(list); ++i) {
    std::string url = sk_OPENSSL_STRING_value(list, i);
    bool clean = url.size() <= 2048;
    for (unsigned char ch : url) clean = clean && ch > 0x20 && ch < 0x7f;
    if (clean && (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0))
      urls.push_back(url);
  }
  X509_email_free(list);
  return urls;
}

Expected<std::string> BuildOcspRequest(X509* cert, X509* issuer) {
  UniquePtr<OCSP_REQUEST> req(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, cert, issuer);
  if (!req || !id || !OCSP_request_add0_id(req.get(), id)) {
    if (id && !req) OCSP_CERTID_free(id);
    return OpenSslError("cannot build the OCSP request");
  }
  unsigned char* der = nullptr;
  int len = i2d_OCSP_REQUEST(req.get(), &der);
  if (len <= 0) return OpenSslError("cannot encode the OCSP request");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Expected<OcspAnswer> CheckOcspResponse(std::string_view bytes, X509* cert, X509* issuer,
                                       int64_t now) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  UniquePtr<OCSP_RESPONSE> resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(bytes.size())));
  if (!resp) {
    DrainOpenSslErrors();
    return InvalidParameter("not an OCSP response");
  }
  int status = OCSP_response_status(resp.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return InvalidParameter(std::string("the responder answered '") +
                            OCSP_response_status_str(status) + "'");
  UniquePtr<OCSP_BASICRESP> basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) return OpenSslError("the OCSP response is not a basic response");
  UniquePtr<STACK_OF(X509)> extra(sk_X509_new_null());
  X509_up_ref(issuer);
  sk_X509_push(extra.get(), issuer);
  X509* signer = nullptr;
  if (OCSP_resp_get0_signer(basic.get(), &signer, extra.get()) != 1 || !signer) {
    DrainOpenSslErrors();
    return InvalidParameter("the OCSP answer's signer is neither the issuer nor a cert it carries");
  }
  EDGESEC_TRY(CheckSigner(signer, issuer));
  UniquePtr<X509_STORE> store(X509_STORE_new());
  if (OCSP_basic_verify(basic.get(), extra.get(), store.get(), OCSP_NOVERIFY) != 1) {
    DrainOpenSslErrors();
    return InvalidParameter("the OCSP answer's signature does not verify");
  }
  UniquePtr<OCSP_CERTID> id(OCSP_cert_to_id(nullptr, cert, issuer));
  int cert_status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *revoked = nullptr, *this_upd = nullptr, *next_upd = nullptr;
  if (!id || OCSP_resp_find_status(basic.get(), id.get(), &cert_status, &reason, &revoked,
                                   &this_upd, &next_upd) != 1)
    return InvalidParameter("the OCSP answer says nothing about this cert");
  // The times are checked against certd's clock (OCSP_check_validity would use the system's).
  OcspAnswer a;
  if (!this_upd) return InvalidParameter("the OCSP answer has no thisUpdate");
  EDGESEC_ASSIGN_OR_RETURN(a.this_update, Epoch(this_upd));
  if (a.this_update > now + kSkew)
    return InvalidParameter("the OCSP answer's thisUpdate is in the future");
  if (next_upd) {
    EDGESEC_ASSIGN_OR_RETURN(int64_t n, Epoch(next_upd));
    if (n < a.this_update)
      return InvalidParameter("the OCSP answer's nextUpdate is before its thisUpdate");
    if (n + kSkew < now) return InvalidParameter("the OCSP answer is past its nextUpdate");
    a.next_update = n;
  }
  a.state = cert_status == V_OCSP_CERTSTATUS_GOOD      ? "good"
            : cert_status == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
                                                       : "unknown";
  if (a.state == "revoked") {
    if (revoked) {
      EDGESEC_ASSIGN_OR_RETURN(a.revoked_at, Epoch(revoked));
    }
    a.reason = ReasonName(reason < 0 ? 0 : reason);
  }
  return a;
}

}  // namespace edgesec::certd::revocation

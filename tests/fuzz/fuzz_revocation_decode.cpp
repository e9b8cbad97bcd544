// Fuzz target: what certd decodes of the bytes a CRL distribution point or an OCSP responder
// serves (certd/revocation/crl.hpp, ocsp.hpp). Properties: no crash or leak on any input; whatever
// ParseCrl accepts re-encodes to DER that parses again to the same DER, has readable times or a
// clear error, and is never accepted by VerifyCrl for an issuer whose key did not sign it (a fixed
// unrelated key).
#include <openssl/x509v3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "certd/revocation/crl.hpp"
#include "certd/revocation/ocsp.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::certd::revocation;

namespace {

// A self-signed CA named like the seeds' issuer ("CN=Fuzz CA"), with a key nobody else has.
X509* Stranger() {
  static X509Ptr cert = [] {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    X509Ptr c(X509_new());
    X509_set_version(c.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Fuzz CA"), -1, -1, 0);
    X509_set_issuer_name(c.get(), X509_get_subject_name(c.get()));
    X509_set_pubkey(c.get(), key.get());
    X509_sign(c.get(), key.get(), EVP_sha256());
    return c;
  }();
  return cert.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The same bytes as an OCSP answer: never one that counts for a key nobody signed with.
  FUZZ_CHECK(!CheckOcspResponse(bytes, Stranger(), Stranger(), 2'000'000'000));
  auto crl = ParseCrl(bytes);
  if (!crl) return 0;
  auto der = CrlToDer(crl->get());
  FUZZ_CHECK(der.has_value());
  auto again = ParseCrl(*der);
  FUZZ_CHECK(again.has_value());
  auto der2 = CrlToDer(again->get());
  FUZZ_CHECK(der2.has_value() && *der2 == *der);
  (void)TimesOf(crl->get());
  FUZZ_CHECK(!VerifyCrl(crl->get(), Stranger(), 2'000'000'000));
  (void)FindRevoked(crl->get(), Stranger());
  return 0;
}

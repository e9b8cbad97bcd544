#include "certd/x509/pem.hpp"

#include <openssl/pem.h>

#include <cstdlib>
#include <cstring>

namespace edgesec::certd::x509 {
namespace {

Error Garbage(const std::string& what) {
  DrainOpenSslErrors();
  return InvalidParameter(what);
}

}  // namespace

Expected<Chain> ParsePemChain(std::string_view pem) {
  Chain chain;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("out of memory");
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    bool is_cert =
        std::strcmp(name, "CERTIFICATE") == 0 || std::strcmp(name, "TRUSTED CERTIFICATE") == 0;
    X509* cert = nullptr;
    if (is_cert) {
      const unsigned char* p = data;
      cert = std::strcmp(name, "CERTIFICATE") == 0 ? d2i_X509(nullptr, &p, len)
                                                   : d2i_X509_AUX(nullptr, &p, len);
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (is_cert && cert == nullptr)
      return Garbage("garbage: a CERTIFICATE block does not decode as X.509");
    if (cert != nullptr) chain.emplace_back(cert);
  }
  DrainOpenSslErrors();
  if (chain.empty()) return InvalidParameter("garbage: no PEM certificate found");
  return chain;
}

Expected<Chain> ParseDerChain(const Bytes& der) {
  Chain chain;
  const unsigned char* p = der.data();
  const unsigned char* end = der.data() + der.size();
  while (p < end) {
    X509* cert = d2i_X509(nullptr, &p, end - p);
    if (cert == nullptr) return Garbage("garbage: not a DER certificate");
    chain.emplace_back(cert);
  }
  if (chain.empty()) return InvalidParameter("garbage: empty input");
  return chain;
}

Expected<std::string> ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return OpenSslError("cannot encode a certificate as PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Expected<std::string> ChainToPem(const Chain& chain) {
  std::string out;
  for (const auto& c : chain) {
    EDGESEC_ASSIGN_OR_RETURN(std::string pem, ToPem(c.get()));
    out += pem;
  }
  return out;
}

Chain CopyChain(const Chain& chain) {
  Chain out;
  for (const auto& c : chain) {
    X509_up_ref(c.get());
    out.emplace_back(c.get());
  }
  return out;
}

Expected<X509ReqPtr> ParseCsrPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("out of memory");
  X509_REQ* req = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
  if (req == nullptr) return Garbage("parameter 'csr' is not a PEM certificate request");
  return X509ReqPtr(req);
}

Expected<int64_t> ToEpoch(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1)
    return Garbage("garbage: a certificate date does not parse");
  return static_cast<int64_t>(::timegm(&tm));
}

std::string Rfc3339(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Expected<int64_t> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  std::string t(text);
  struct tm tm {};
  const char* rest = ::strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr && (rest = ::strptime(t.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) == nullptr)
    return InvalidParameter("'" + t + "' is not an RFC 3339 time such as 2030-01-31T12:00:00Z");
  if (*rest == '.')
    for (++rest; *rest >= '0' && *rest <= '9';) ++rest;
  int64_t offset = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if ((*rest == '+' || *rest == '-') && std::strlen(rest) == 6 && rest[3] == ':') {
    int h = std::atoi(std::string(rest + 1, 2).c_str()), m = std::atoi(rest + 4);
    offset = (rest[0] == '+' ? 1 : -1) * (h * 3600 + m * 60);
    rest += 6;
  } else {
    return InvalidParameter("'" + t + "' has no time zone (Z or ±HH:MM)");
  }
  if (*rest != '\0') return InvalidParameter("'" + t + "' is not an RFC 3339 time");
  return static_cast<int64_t>(::timegm(&tm)) - offset;
}

}  // namespace edgesec::certd::x509

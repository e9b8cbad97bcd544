#include "common/x509/pem.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace edgesec::x509 {
namespace {

Error Garbage(const std::string& what) {
  DrainOpenSslErrors();
  return InvalidParameter(what);
}

}  // namespace

std::vector<PemBlock> ReadPemBlocks(std::string_view text) {
  std::vector<PemBlock> out;
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return out;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    out.push_back(PemBlock{name, Bytes(data, data + len)});
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  ERR_clear_error();  // the end of the input reads as "no start line"
  return out;
}

Expected<Chain> ParsePemChain(std::string_view pem) {
  Chain chain;
  for (const PemBlock& block : ReadPemBlocks(pem)) {
    bool trusted = block.label == "TRUSTED CERTIFICATE";
    if (block.label != "CERTIFICATE" && !trusted) continue;
    const unsigned char* p = block.der.data();
    long len = static_cast<long>(block.der.size());
    X509* cert = trusted ? d2i_X509_AUX(nullptr, &p, len) : d2i_X509(nullptr, &p, len);
    if (cert == nullptr) return Garbage("garbage: a CERTIFICATE block does not decode as X.509");
    chain.emplace_back(cert);
  }
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

Expected<std::string> CsrToPem(X509_REQ* req) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req) != 1)
    return OpenSslError("cannot encode a certificate request as PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace edgesec::x509

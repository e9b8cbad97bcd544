#include "certd/x509/import_file.hpp"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

#include <algorithm>
#include <mutex>

namespace edgesec::certd::x509 {
namespace {

bool LooksLikePem(const Bytes& data) {
  static const std::string kBegin = "-----BEGIN ";
  return std::search(data.begin(), data.end(), kBegin.begin(), kBegin.end()) != data.end();
}

Expected<ImportBundle> ReadPem(const Bytes& data, const std::optional<std::string>& password) {
  ImportBundle b;
  b.format = "PEM";
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  EDGESEC_ASSIGN_OR_RETURN(b.chain, edgesec::x509::ParsePemChain(text));
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  std::string pass = password.value_or("");
  EVP_PKEY* key =
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(pass.c_str()));
  DrainOpenSslErrors();
  b.key.reset(key);
  return b;
}

Expected<ImportBundle> ReadPkcs12(const Bytes& data, const std::optional<std::string>& password) {
  const unsigned char* p = data.data();
  UniquePtr<PKCS12> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
  if (!p12 || p != data.data() + data.size()) {
    DrainOpenSslErrors();
    return InvalidParameter("garbage: not a PEM or DER certificate, nor a PKCS#12 file");
  }
  EnableLegacyAlgorithms();
  const char* pass = password ? password->c_str() : "";
  if (PKCS12_verify_mac(p12.get(), pass, -1) != 1 &&
      !(password == std::nullopt && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1)) {
    DrainOpenSslErrors();
    return InvalidParameter(
        password ? "wrong password for the PKCS#12 file"
                 : "the PKCS#12 file needs a password (--password or --password-file)");
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), pass, &key, &cert, &ca) != 1) {
    std::string detail = DrainOpenSslErrors();
    return MakeError(
        ErrorKind::kInvalidParameter,
        "the PKCS#12 file cannot be decrypted (unsupported encryption or damaged file)", detail);
  }
  ImportBundle b;
  b.format = "PKCS#12";
  b.key.reset(key);
  if (cert != nullptr) b.chain.emplace_back(cert);
  for (int i = 0; ca != nullptr && i < sk_X509_num(ca); ++i)
    b.chain.emplace_back(sk_X509_value(ca, i));
  sk_X509_free(ca);  // the certificates moved into the chain
  if (b.chain.empty()) return InvalidParameter("the PKCS#12 file holds no certificate");
  return b;
}

}  // namespace

bool EnableLegacyAlgorithms() {
  static std::once_flag once;
  static bool loaded = false;
  std::call_once(once, [] {
    // Loading any provider explicitly stops the implicit load of "default": load both.
    OSSL_PROVIDER* legacy = OSSL_PROVIDER_load(nullptr, "legacy");
    OSSL_PROVIDER* def = OSSL_PROVIDER_load(nullptr, "default");
    loaded = legacy != nullptr && def != nullptr;
    DrainOpenSslErrors();
  });
  return loaded;
}

Expected<ImportBundle> ReadCertificateFile(const Bytes& data,
                                           const std::optional<std::string>& password) {
  if (data.empty()) return InvalidParameter("garbage: the file is empty");
  if (LooksLikePem(data)) return ReadPem(data, password);
  if (auto der = edgesec::x509::ParseDerChain(data)) {
    ImportBundle b;
    b.format = "DER";
    b.chain = std::move(*der);
    return b;
  }
  return ReadPkcs12(data, password);
}

}  // namespace edgesec::certd::x509

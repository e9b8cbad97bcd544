#include "common/ossl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

namespace edgesec {

std::string DrainOpenSslErrors() {
  std::string out;
  const char* file = nullptr;
  const char* func = nullptr;
  int line = 0;
  unsigned long code;
  while ((code = ERR_get_error_all(&file, &line, &func, nullptr, nullptr)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

Error OpenSslError(std::string message) {
  return MakeError(ErrorKind::kCrypto, std::move(message), DrainOpenSslErrors());
}

Expected<EvpPkeyPtr> PrivateKeyFromPkcs8Der(const Bytes& der) {
  const unsigned char* p = der.data();
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size()) return OpenSslError("not a PKCS#8 private key");
  return key;
}

Expected<EvpPkeyPtr> PrivateKeyFromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("out of memory");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!key) return OpenSslError("not a PEM private key");
  return key;
}

Expected<Bytes> PrivateKeyToPkcs8Der(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || i2d_PKCS8PrivateKeyInfo_bio(bio.get(), key) != 1)
    return OpenSslError("cannot encode private key as PKCS#8");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return Bytes(data, data + len);
}

Expected<std::string> PrivateKeyToPkcs8Pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return OpenSslError("cannot encode private key as PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Expected<EvpPkeyPtr> PublicKeyFromSpkiDer(const Bytes& der) {
  const unsigned char* p = der.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size()) return OpenSslError("not a SubjectPublicKeyInfo");
  return key;
}

Expected<Bytes> PublicKeyToSpkiDer(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  int len = i2d_PUBKEY(key, &out);
  if (len <= 0) return OpenSslError("cannot encode public key");
  Bytes result(out, out + len);
  OPENSSL_free(out);
  return result;
}

Expected<std::string> PublicKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
    return OpenSslError("cannot encode public key");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Bytes Sha256(const unsigned char* data, size_t len) {
  Bytes out(SHA256_DIGEST_LENGTH);
  SHA256(data, len, out.data());
  return out;
}

std::string HexLower(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (unsigned char c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

}  // namespace edgesec

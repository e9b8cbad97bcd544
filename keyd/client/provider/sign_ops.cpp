// Each signature is one keyd call. RSA paddings keyd has no mechanism for are made here, around
// keyd's raw RSA operation, so any digest and salt length OpenSSL negotiates works with any engine.
#define OPENSSL_SUPPRESS_DEPRECATED 1  // RSA_padding_add_PKCS1_PSS_mgf1 on the public half

#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keyd/client/provider/signature.hpp"

namespace edgesec::keyd::provider {
namespace {

Expected<Bytes> KeydSign(const Key& key, api::SignAlgorithm algorithm, const Bytes& data) {
  if (!key.HasPrivate()) return InvalidParameter("this is a public key: it cannot sign");
  api::SignRequest request;
  request.key_handle = key.handle;
  request.algorithm = algorithm;
  request.data = data;
  return key.client->Sign(request);
}

Expected<Bytes> KeydRsa(const Key& key, api::EncryptAlgorithm algorithm, const Bytes& data) {
  if (!key.HasPrivate()) return InvalidParameter("this is a public key: it cannot sign");
  api::EncryptRequest request;
  request.key_handle = key.handle;
  request.algorithm = algorithm;
  request.data = data;
  return key.client->Encrypt(request);
}

Expected<Bytes> DigestInfo(const std::string& md, const Bytes& digest) {
  int nid = OBJ_sn2nid(md.c_str());
  if (nid == NID_undef) nid = OBJ_ln2nid(md.c_str());
  UniquePtr<X509_SIG> sig(X509_SIG_new());
  X509_ALGOR* algor = nullptr;
  ASN1_OCTET_STRING* octets = nullptr;
  if (nid == NID_undef || !sig) return InvalidParameter("unknown digest '" + md + "'");
  X509_SIG_getm(sig.get(), &algor, &octets);
  if (X509_ALGOR_set0(algor, OBJ_nid2obj(nid), V_ASN1_NULL, nullptr) != 1 ||
      ASN1_OCTET_STRING_set(octets, digest.data(), static_cast<int>(digest.size())) != 1)
    return OpenSslError("cannot build the DigestInfo");
  unsigned char* der = nullptr;
  int len = i2d_X509_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslError("cannot encode the DigestInfo");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

bool IsSha256(const std::string& md) {
  return md == "SHA256" || md == "SHA2-256" || md == "sha256" || md == "SHA-256";
}

}  // namespace

Expected<Bytes> SignEcdsa(const Key& key, const Bytes& digest) {
  return KeydSign(key, api::SignAlgorithm::kEcdsa, digest);
}

Expected<Bytes> SignRsaPkcs1(const Key& key, const std::string& md, const Bytes& digest) {
  if (md.empty()) return KeydRsa(key, api::EncryptAlgorithm::kRsaPkcs1, digest);
  if (IsSha256(md) && digest.size() == 32)
    return KeydSign(key, api::SignAlgorithm::kRsaPkcs1Sha256, digest);
  EDGESEC_ASSIGN_OR_RETURN(Bytes info, DigestInfo(md, digest));
  return KeydRsa(key, api::EncryptAlgorithm::kRsaPkcs1, info);
}

Expected<Bytes> SignRsaPss(const Key& key, const std::string& md, const std::string& mgf1,
                           int salt_length, const Bytes& digest) {
  UniquePtr<EVP_MD> hash(EVP_MD_fetch(nullptr, md.c_str(), nullptr));
  UniquePtr<EVP_MD> mask(EVP_MD_fetch(nullptr, (mgf1.empty() ? md : mgf1).c_str(), nullptr));
  if (!hash || !mask) return InvalidParameter("unknown digest for RSA-PSS");
  if (digest.size() != static_cast<size_t>(EVP_MD_get_size(hash.get())))
    return InvalidParameter("digest length does not match " + md);
  bool salt_is_digest = salt_length == RSA_PSS_SALTLEN_DIGEST || salt_length == 32;
  if (IsSha256(md) && EVP_MD_is_a(mask.get(), "SHA256") && salt_is_digest)
    return KeydSign(key, api::SignAlgorithm::kRsaPssSha256, digest);
  RSA* rsa = EVP_PKEY_get1_RSA(key.pub.get());
  if (rsa == nullptr) return OpenSslError("the key's public half is not an RSA key");
  Bytes encoded(static_cast<size_t>(RSA_size(rsa)));
  int ok = RSA_padding_add_PKCS1_PSS_mgf1(rsa, encoded.data(), digest.data(), hash.get(),
                                          mask.get(), salt_length);
  RSA_free(rsa);
  if (ok != 1) return OpenSslError("cannot encode the RSA-PSS message");
  return KeydRsa(key, api::EncryptAlgorithm::kRsaNoPadding, encoded);
}

Expected<Bytes> SignEd25519(const Key& key, const Bytes& message) {
  return KeydSign(key, api::SignAlgorithm::kEdDsa, message);
}

Expected<Bytes> RsaPrivate(const Key& key, const Bytes& input) {
  size_t size = static_cast<size_t>(EVP_PKEY_get_size(key.pub.get()));
  if (input.size() > size) return InvalidParameter("input is longer than the RSA modulus");
  Bytes padded(size - input.size(), 0);
  padded.insert(padded.end(), input.begin(), input.end());
  return KeydRsa(key, api::EncryptAlgorithm::kRsaNoPadding, padded);
}

}  // namespace edgesec::keyd::provider

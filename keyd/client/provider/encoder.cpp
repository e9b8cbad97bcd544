// Encoders of a keyd key's public half as SubjectPublicKeyInfo (DER and PEM): what X509_REQ_sign,
// `openssl req -new -key edgesec:…` and `openssl pkey -pubout` write. The private half has no
// encoding: it stays in keyd.
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keyd/client/provider/provider.hpp"

namespace edgesec::keyd::provider {
namespace {

void* NewContext(void* provctx) {
  return provctx;
}
void FreeContext(void*) {}

int DoesSelection(void*, int selection) {
  return (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 ? 1 : 0;
}

int Write(ProviderContext* provider, OSSL_CORE_BIO* out, const unsigned char* data, size_t len) {
  size_t written = 0;
  return provider->bio_write != nullptr && provider->bio_write(out, data, len, &written) == 1 &&
         written == len;
}

template <bool kPem>
int Encode(void* ctx, OSSL_CORE_BIO* out, const void* keydata, const OSSL_PARAM[], int selection,
           OSSL_PASSPHRASE_CALLBACK*, void*) {
  auto* provider = static_cast<ProviderContext*>(ctx);
  const auto* key = static_cast<const Key*>(keydata);
  if (key == nullptr || !key->pub || (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0) return 0;
  if (kPem) {
    BioPtr mem(BIO_new(BIO_s_mem()));
    if (!mem || PEM_write_bio_PUBKEY(mem.get(), key->pub.get()) != 1) return 0;
    char* data = nullptr;
    long len = BIO_get_mem_data(mem.get(), &data);
    return len > 0 &&
           Write(provider, out, reinterpret_cast<unsigned char*>(data), static_cast<size_t>(len));
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key->pub.get(), &der);
  if (len <= 0) return 0;
  int ok = Write(provider, out, der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return ok;
}

template <bool kPem>
const OSSL_DISPATCH kFunctions[] = {EDGESEC_OSSL_FN(OSSL_FUNC_ENCODER_NEWCTX, &NewContext),
                                        EDGESEC_OSSL_FN(OSSL_FUNC_ENCODER_FREECTX, &FreeContext),
                                        EDGESEC_OSSL_FN(OSSL_FUNC_ENCODER_DOES_SELECTION, &DoesSelection),
                                        EDGESEC_OSSL_FN(OSSL_FUNC_ENCODER_ENCODE, &Encode<kPem>),
                                        {0, nullptr}};

#define EDGESEC_SPKI(output) "provider=edgesec,output=" output ",structure=SubjectPublicKeyInfo"

}  // namespace

const OSSL_ALGORITHM kEncoders[] = {
    {"EC:id-ecPublicKey:1.2.840.10045.2.1", EDGESEC_SPKI("der"), kFunctions<false>, nullptr},
    {"EC:id-ecPublicKey:1.2.840.10045.2.1", EDGESEC_SPKI("pem"), kFunctions<true>, nullptr},
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", EDGESEC_SPKI("der"), kFunctions<false>, nullptr},
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", EDGESEC_SPKI("pem"), kFunctions<true>, nullptr},
    {"ED25519:1.3.101.112", EDGESEC_SPKI("der"), kFunctions<false>, nullptr},
    {"ED25519:1.3.101.112", EDGESEC_SPKI("pem"), kFunctions<true>, nullptr},
    {nullptr, nullptr, nullptr, nullptr}};
#undef EDGESEC_SPKI

}  // namespace edgesec::keyd::provider

// Key pairs: made by the TPM under the storage primary (TPM2_Create), or imported from PKCS#8
// (TPM2_Import of an unwrapped duplicate: the private key reaches the TPM in the clear over the
// TCTI, once, and lives from then on only as a blob sealed by the storage primary).
#include <openssl/core_names.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "keyd/engines/tpm/context.hpp"
#include "keyd/engines/tpm/templates.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

constexpr char kWhatTheTpmMakes[] = "the TPM engine holds ec-p256 and rsa-2048 key pairs";

// Big-endian bytes of a BIGNUM parameter, left-padded to `width`; false when absent or too long.
bool ParamBytes(EVP_PKEY* key, const char* name, uint8_t* out, UINT16* out_size, size_t width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return false;
  BignumPtr bn(raw);
  bool ok = BN_bn2binpad(bn.get(), out, static_cast<int>(width)) == static_cast<int>(width);
  *out_size = static_cast<UINT16>(width);
  BN_clear(bn.get());
  return ok;
}

// The public area and the sensitive part of a software key, for TPM2_Import.
Expected<std::string> Describe(EVP_PKEY* key, TPM2B_PUBLIC* pub, TPMT_SENSITIVE* sensitive) {
  TPMT_PUBLIC& t = pub->publicArea;
  t.nameAlg = TPM2_ALG_SHA256;
  // Imported: neither fixedTPM nor fixedParent nor sensitiveDataOrigin can be claimed.
  t.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_SIGN_ENCRYPT;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char curve[64] = {};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &len);
    if (std::string(curve) != "prime256v1" && std::string(curve) != "P-256")
      return Unsupported(kWhatTheTpmMakes);
    t.type = TPM2_ALG_ECC;
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    sensitive->sensitiveType = TPM2_ALG_ECC;
    if (!ParamBytes(key, OSSL_PKEY_PARAM_EC_PUB_X, t.unique.ecc.x.buffer, &t.unique.ecc.x.size,
                    32) ||
        !ParamBytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, t.unique.ecc.y.buffer, &t.unique.ecc.y.size,
                    32) ||
        !ParamBytes(key, OSSL_PKEY_PARAM_PRIV_KEY, sensitive->sensitive.ecc.buffer,
                    &sensitive->sensitive.ecc.size, 32))
      return InvalidParameter("the EC key lacks its public point or private value");
    return std::string("ec-p256");
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    if (EVP_PKEY_get_bits(key) != 2048) return Unsupported(kWhatTheTpmMakes);
    BIGNUM* raw_e = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &raw_e) != 1)
      return InvalidParameter("the RSA key has no exponent");
    BignumPtr e(raw_e);
    if (!BN_is_word(e.get(), 65537))
      return Unsupported("the TPM engine imports RSA keys with exponent 65537 only");
    t.type = TPM2_ALG_RSA;
    t.objectAttributes |= TPMA_OBJECT_DECRYPT;
    t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.rsaDetail.keyBits = 2048;
    t.parameters.rsaDetail.exponent = 0;
    sensitive->sensitiveType = TPM2_ALG_RSA;
    if (!ParamBytes(key, OSSL_PKEY_PARAM_RSA_N, t.unique.rsa.buffer, &t.unique.rsa.size, 256) ||
        !ParamBytes(key, OSSL_PKEY_PARAM_RSA_FACTOR1, sensitive->sensitive.rsa.buffer,
                    &sensitive->sensitive.rsa.size, 128))
      return InvalidParameter("the RSA key lacks its modulus or primes");
    return std::string("rsa-2048");
  }
  return Unsupported(kWhatTheTpmMakes);
}

}  // namespace

Status GenerateKeyPair(Context& c, const std::string& id, const std::string& algorithm) {
  auto in_public = KeyPairTemplate(algorithm);
  if (!in_public) return Unsupported(std::string(kWhatTheTpmMakes) + ", not " + algorithm);
  KeyBlob blob;
  blob.id = id;
  blob.kind = EDGESEC_KEY_PAIR;
  blob.algorithm = algorithm;
  EDGESEC_TRY(c.tpm->Run([&](ESYS_CONTEXT* esys, ESYS_TR primary) -> Status {
    TPM2B_SENSITIVE_CREATE sensitive{};
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION pcrs{};
    TPM2B_PRIVATE* raw_priv = nullptr;
    TPM2B_PUBLIC* raw_pub = nullptr;
    TSS2_RC rc =
        Esys_Create(esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                    &*in_public, &outside, &pcrs, &raw_priv, &raw_pub, nullptr, nullptr, nullptr);
    EsysPtr<TPM2B_PRIVATE> priv(raw_priv);
    EsysPtr<TPM2B_PUBLIC> pub(raw_pub);
    if (rc != TSS2_RC_SUCCESS)
      return TpmError("creating " + algorithm + " key pair '" + id + "'", rc);
    blob.pub = *pub;
    blob.priv = *priv;
    return {};
  }));
  return c.store.Write(blob);
}

Status ImportKeyPair(Context& c, const std::string& id, const Bytes& pkcs8) {
  auto key = PrivateKeyFromPkcs8Der(pkcs8);
  if (!key) return InvalidParameter("the key is not a valid PKCS#8 private key");
  KeyBlob blob;
  blob.id = id;
  blob.kind = EDGESEC_KEY_PAIR;
  TPMT_SENSITIVE sensitive{};
  auto algorithm = Describe(key->get(), &blob.pub, &sensitive);
  TPM2B_SENSITIVE wrapped{};
  wrapped.sensitiveArea = sensitive;
  TPM2B_PRIVATE duplicate{};
  size_t offset = 0;
  TSS2_RC mu = algorithm ? Tss2_MU_TPM2B_SENSITIVE_Marshal(&wrapped, duplicate.buffer,
                                                           sizeof duplicate.buffer, &offset)
                         : TSS2_RC_SUCCESS;
  duplicate.size = static_cast<UINT16>(offset);
  OPENSSL_cleanse(&sensitive, sizeof sensitive);
  OPENSSL_cleanse(&wrapped, sizeof wrapped);
  if (!algorithm) return algorithm.error();
  if (mu != TSS2_RC_SUCCESS) return Internal("marshalling the key for import failed", RcText(mu));
  blob.algorithm = *algorithm;
  Status imported = c.tpm->Run([&](ESYS_CONTEXT* esys, ESYS_TR primary) -> Status {
    TPM2B_DATA no_encryption_key{};
    TPM2B_ENCRYPTED_SECRET no_seed{};
    TPMT_SYM_DEF_OBJECT no_inner_wrapper{};
    no_inner_wrapper.algorithm = TPM2_ALG_NULL;
    TPM2B_PRIVATE* raw_priv = nullptr;
    TSS2_RC rc =
        Esys_Import(esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &no_encryption_key,
                    &blob.pub, &duplicate, &no_seed, &no_inner_wrapper, &raw_priv);
    EsysPtr<TPM2B_PRIVATE> priv(raw_priv);
    if (rc != TSS2_RC_SUCCESS) return TpmError("importing key pair '" + id + "' into the TPM", rc);
    blob.priv = *priv;
    return {};
  });
  OPENSSL_cleanse(&duplicate, sizeof duplicate);
  EDGESEC_TRY(imported);
  return c.store.Write(blob);
}

}  // namespace edgesec::keyd::engines::tpm

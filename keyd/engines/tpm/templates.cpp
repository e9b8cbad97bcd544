#include "keyd/engines/tpm/templates.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

constexpr TPMA_OBJECT kNonDuplicable = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
// Keys of the engine have an empty auth value: no dictionary-attack counting for them.
constexpr TPMA_OBJECT kUsable = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;

}  // namespace

TPM2B_PUBLIC PrimaryTemplate() {
  TPM2B_PUBLIC p{};
  TPMT_PUBLIC& t = p.publicArea;
  t.type = TPM2_ALG_ECC;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = kNonDuplicable | kUsable | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
  t.parameters.eccDetail.symmetric.keyBits.aes = 128;
  t.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  t.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  return p;
}

std::optional<TPM2B_PUBLIC> KeyPairTemplate(const std::string& algorithm) {
  TPM2B_PUBLIC p{};
  TPMT_PUBLIC& t = p.publicArea;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes =
      kNonDuplicable | kUsable | TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_SIGN_ENCRYPT;
  if (algorithm == "ec-p256") {
    t.type = TPM2_ALG_ECC;
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    return p;
  }
  if (algorithm == "rsa-2048") {
    t.type = TPM2_ALG_RSA;
    t.objectAttributes |= TPMA_OBJECT_DECRYPT;
    t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.rsaDetail.keyBits = 2048;
    t.parameters.rsaDetail.exponent = 0;  // 65537
    return p;
  }
  return std::nullopt;
}

TPM2B_PUBLIC HmacTemplate(bool generated) {
  TPM2B_PUBLIC p{};
  TPMT_PUBLIC& t = p.publicArea;
  t.type = TPM2_ALG_KEYEDHASH;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = kNonDuplicable | kUsable | TPMA_OBJECT_SIGN_ENCRYPT |
                       (generated ? TPMA_OBJECT_SENSITIVEDATAORIGIN : 0);
  t.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
  t.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
  return p;
}

bool IsStorageKey(const TPMT_PUBLIC& pub) {
  return (pub.objectAttributes & TPMA_OBJECT_RESTRICTED) != 0 &&
         (pub.objectAttributes & TPMA_OBJECT_DECRYPT) != 0 &&
         (pub.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) == 0;
}

}  // namespace edgesec::keyd::engines::tpm

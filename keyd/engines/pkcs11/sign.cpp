// Private-key operations on the token: ECDSA (the token's raw r||s made DER), RSA PKCS#1 v1.5 over
// a SHA-256 DigestInfo, RSA-PSS (SHA-256, MGF1-SHA256, salt 32), and the raw RSA mechanisms of the
// ABI.
#include <openssl/ecdsa.h>

#include "keyd/engines/pkcs11/operations.hpp"

namespace edgesec::keyd::engines::pkcs11 {
namespace {

const unsigned char kSha256DigestInfo[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                           0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                           0x01, 0x05, 0x00, 0x04, 0x20};

Expected<Bytes> EcdsaDer(const Bytes& raw) {
  if (raw.empty() || raw.size() % 2 != 0)
    return Internal("the token returned a malformed ECDSA signature");
  size_t half = raw.size() / 2;
  UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslError("encoding the ECDSA signature");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslError("encoding the ECDSA signature");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Input checks, as the file engine makes them (EDGESEC_E_INVALID → 400).
Status CheckInput(edgesec_mechanism m, size_t len, size_t modulus) {
  if (m == EDGESEC_MECH_ECDSA && (len == 0 || len > 64))
    return InvalidParameter("digest must be 1 to 64 bytes long");
  if ((m == EDGESEC_MECH_RSA_PKCS1_SHA256 || m == EDGESEC_MECH_RSA_PSS_SHA256) && len != 32)
    return InvalidParameter("digest must be a 32-byte SHA-256 digest");
  if (m == EDGESEC_MECH_RSA_PKCS1_RAW && (len == 0 || len + 11 > modulus))
    return InvalidParameter("plaintext must be 1 to (modulus length - 11) bytes long");
  if (m == EDGESEC_MECH_RSA_NO_PADDING && len != modulus)
    return InvalidParameter("plaintext must be exactly as long as the modulus");
  return {};
}

Expected<Bytes> SignOnce(const Call& c, const PrivateKey& key, edgesec_mechanism m,
                         const Bytes& in) {
  EDGESEC_TRY(CheckInput(m, in.size(), key.size));
  ck_mechanism mech{};
  ck_rsa_pkcs_pss_params pss{CKM_SHA256, CKG_MGF1_SHA256, 32};
  Bytes data = in;
  switch (m) {
    case EDGESEC_MECH_ECDSA:
      mech.mechanism = CKM_ECDSA;
      break;
    case EDGESEC_MECH_RSA_PKCS1_SHA256:
      mech.mechanism = CKM_RSA_PKCS;
      data.insert(data.begin(), std::begin(kSha256DigestInfo), std::end(kSha256DigestInfo));
      break;
    case EDGESEC_MECH_RSA_PSS_SHA256:
      mech.mechanism = CKM_RSA_PKCS_PSS;
      mech.parameter = &pss;
      mech.parameter_len = sizeof pss;
      break;
    case EDGESEC_MECH_RSA_PKCS1_RAW:
      mech.mechanism = CKM_RSA_PKCS;
      break;
    case EDGESEC_MECH_RSA_NO_PADDING:
      mech.mechanism = CKM_RSA_X_509;
      break;
    default:
      return InvalidParameter("mechanism cannot be used with this key type")
          .WithReason(ErrorReason::kUnsupportedMechanism);
  }
  EDGESEC_TRY(Check(c.f.C_SignInit(c.session, &mech, key.handle), "C_SignInit"));
  Bytes sig(key.key_type == CKK_EC ? 2 * key.size : key.size);
  unsigned long len = sig.size();
  EDGESEC_TRY(Check(c.f.C_Sign(c.session, data.data(), data.size(), sig.data(), &len), "C_Sign"));
  sig.resize(len);
  if (key.key_type == CKK_EC) return EcdsaDer(sig);
  return sig;
}

}  // namespace

bool MechanismFits(edgesec_mechanism m, const std::string& algorithm) {
  if (algorithm.rfind("ec-", 0) == 0) return m == EDGESEC_MECH_ECDSA;
  if (algorithm.rfind("rsa-", 0) == 0)
    return m == EDGESEC_MECH_RSA_PKCS1_SHA256 || m == EDGESEC_MECH_RSA_PSS_SHA256 ||
           m == EDGESEC_MECH_RSA_PKCS1_RAW || m == EDGESEC_MECH_RSA_NO_PADDING;
  return false;
}

Expected<Bytes> Sign(Context& ctx, const std::string& key_id, edgesec_mechanism m,
                     const Bytes& in) {
  Context::Where where = ctx.KeyPairAt(key_id);
  return where.token->Run<Bytes>([&](const Call& c) -> Expected<Bytes> {
    EDGESEC_ASSIGN_OR_RETURN(PrivateKey key, ctx.KeyPair(c, key_id, where));
    if (!MechanismFits(m, key.algorithm))
      return InvalidParameter("mechanism cannot be used with this key type")
          .WithReason(ErrorReason::kUnsupportedMechanism);
    auto sig = SignOnce(c, key, m, in);
    ck_rv_t rv = LastFailure();
    if (!sig && (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID)) {
      ctx.Forget(key_id);  // deleted or replaced behind this engine's back: look it up again
      EDGESEC_ASSIGN_OR_RETURN(PrivateKey fresh, ctx.KeyPair(c, key_id, where));
      return SignOnce(c, fresh, m, in);
    }
    return sig;
  });
}

}  // namespace edgesec::keyd::engines::pkcs11

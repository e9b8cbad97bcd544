// Private-key operations of key pairs: the key is loaded under the primary, used once, flushed.
//   ECDSA               TPM2_Sign, scheme ECDSA/SHA-256, over the digest brought to 32 bytes the
//   way
//                       ECDSA on P-256 uses any digest (leftmost 256 bits; shorter ones as
//                       integers)
//   RSA PKCS#1 SHA-256  TPM2_Sign, scheme RSASSA/SHA-256
//   RSA-PSS SHA-256     TPM2_Sign, scheme RSAPSS/SHA-256 (see PssSaltNote below)
//   RSA raw / no pad    TPM2_RSA_Decrypt with scheme NULL: the bare private-key operation, on input
//                       padded here with PKCS#1 type 1 for the RSA-PKCS1 mechanism
#include <openssl/ecdsa.h>

#include <algorithm>
#include <cstring>

#include "keyd/engines/tpm/context.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

// PSS salt: TPM 2.0 (Part 1, B.7; libtpms, as swtpm uses) signs RSASSA-PSS with a salt as long as
// the digest — 32 bytes with SHA-256 — which is what the ABI promises; the conformance suite checks
// it with OpenSSL verifying with salt length 32. (A TPM in FIPS mode may use the largest salt
// instead: such a signature does not verify with salt length 32.)

Error Mismatch() {
  return Unsupported("mechanism cannot be used with this key type");
}

Expected<TPMT_SIGNATURE> TpmSign(ESYS_CONTEXT* esys, ESYS_TR key, TPMI_ALG_SIG_SCHEME scheme,
                                 const Bytes& digest, const std::string& id) {
  TPM2B_DIGEST in{};
  in.size = static_cast<UINT16>(digest.size());
  std::memcpy(in.buffer, digest.data(), digest.size());
  TPMT_SIG_SCHEME in_scheme{};
  in_scheme.scheme = scheme;
  in_scheme.details.any.hashAlg = TPM2_ALG_SHA256;
  TPMT_TK_HASHCHECK
  no_ticket{};  // the digest was not made by the TPM: allowed for unrestricted keys
  no_ticket.tag = TPM2_ST_HASHCHECK;
  no_ticket.hierarchy = TPM2_RH_NULL;
  TPMT_SIGNATURE* raw = nullptr;
  TSS2_RC rc = Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &in, &in_scheme,
                         &no_ticket, &raw);
  EsysPtr<TPMT_SIGNATURE> sig(raw);
  if (rc != TSS2_RC_SUCCESS) return TpmError("signing with key '" + id + "'", rc);
  return *sig;
}

Expected<Bytes> EcdsaDer(const TPMS_SIGNATURE_ECC& ecc) {
  UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(ecc.signatureR.buffer, ecc.signatureR.size, nullptr);
  BIGNUM* s = BN_bin2bn(ecc.signatureS.buffer, ecc.signatureS.size, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslError("encoding an ECDSA signature");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslError("encoding an ECDSA signature");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Expected<Bytes> RawRsa(ESYS_CONTEXT* esys, ESYS_TR key, const Bytes& block, const std::string& id) {
  TPM2B_PUBLIC_KEY_RSA in{};
  in.size = static_cast<UINT16>(block.size());
  std::memcpy(in.buffer, block.data(), block.size());
  TPMT_RSA_DECRYPT scheme{};
  scheme.scheme = TPM2_ALG_NULL;
  TPM2B_DATA label{};
  TPM2B_PUBLIC_KEY_RSA* raw = nullptr;
  TSS2_RC rc = Esys_RSA_Decrypt(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &in,
                                &scheme, &label, &raw);
  EsysPtr<TPM2B_PUBLIC_KEY_RSA> out(raw);
  if (BaseTpmCode(rc) == TPM2_RC_VALUE || BaseTpmCode(rc) == TPM2_RC_SIZE)
    return InvalidParameter("signing failed: the input does not fit this key");
  if (rc != TSS2_RC_SUCCESS) return TpmError("private-key operation with key '" + id + "'", rc);
  Bytes result(block.size() > out->size ? block.size() - out->size : 0,
               0);  // keep the modulus length
  result.insert(result.end(), out->buffer, out->buffer + out->size);
  return result;
}

}  // namespace

Expected<Bytes> SignDigest(Context& c, const std::string& id, edgesec_mechanism mechanism,
                           const Bytes& in) {
  EDGESEC_ASSIGN_OR_RETURN(KeyBlob blob, c.store.Read(EDGESEC_KEY_PAIR, id));
  const TPMT_PUBLIC& pub = blob.pub.publicArea;
  const size_t k = ModulusBytes(pub);
  Bytes input;
  switch (mechanism) {
    case EDGESEC_MECH_ECDSA:
      if (pub.type != TPM2_ALG_ECC) return Mismatch();
      if (in.empty() || in.size() > 64)
        return InvalidParameter("digest must be 1 to 64 bytes long");
      input.assign(in.size() < 32 ? 32 - in.size() : 0, 0);
      input.insert(input.end(), in.begin(),
                   in.begin() + static_cast<long>(std::min<size_t>(in.size(), 32)));
      break;
    case EDGESEC_MECH_RSA_PKCS1_SHA256:
    case EDGESEC_MECH_RSA_PSS_SHA256:
      if (pub.type != TPM2_ALG_RSA) return Mismatch();
      if (in.size() != 32) return InvalidParameter("digest must be a 32-byte SHA-256 digest");
      input = in;
      break;
    case EDGESEC_MECH_RSA_PKCS1_RAW:
      if (pub.type != TPM2_ALG_RSA) return Mismatch();
      if (in.empty() || in.size() > k - 11)
        return InvalidParameter("plaintext must be 1 to (modulus length - 11) bytes long");
      input.assign(k - in.size(), 0xFF);  // EM = 00 01 FF…FF 00 || input
      input[0] = 0x00;
      input[1] = 0x01;
      input[k - in.size() - 1] = 0x00;
      input.insert(input.end(), in.begin(), in.end());
      break;
    case EDGESEC_MECH_RSA_NO_PADDING:
      if (pub.type != TPM2_ALG_RSA) return Mismatch();
      if (in.size() != k)
        return InvalidParameter("plaintext must be exactly as long as the modulus");
      input = in;
      break;
    default:
      return Mismatch();
  }
  Bytes out;
  EDGESEC_TRY(c.tpm->Run([&](ESYS_CONTEXT* esys, ESYS_TR primary) -> Status {
    EDGESEC_ASSIGN_OR_RETURN(LoadedKey key,
                             LoadedKey::Load(esys, primary, blob.pub, blob.priv, id));
    if (mechanism == EDGESEC_MECH_RSA_PKCS1_RAW || mechanism == EDGESEC_MECH_RSA_NO_PADDING) {
      EDGESEC_ASSIGN_OR_RETURN(out, RawRsa(esys, key.handle(), input, id));
      return {};
    }
    TPMI_ALG_SIG_SCHEME scheme = mechanism == EDGESEC_MECH_ECDSA            ? TPM2_ALG_ECDSA
                                 : mechanism == EDGESEC_MECH_RSA_PSS_SHA256 ? TPM2_ALG_RSAPSS
                                                                            : TPM2_ALG_RSASSA;
    EDGESEC_ASSIGN_OR_RETURN(TPMT_SIGNATURE sig, TpmSign(esys, key.handle(), scheme, input, id));
    if (scheme == TPM2_ALG_ECDSA) {
      EDGESEC_ASSIGN_OR_RETURN(out, EcdsaDer(sig.signature.ecdsa));
    } else {
      const TPM2B_PUBLIC_KEY_RSA& s =
          scheme == TPM2_ALG_RSAPSS ? sig.signature.rsapss.sig : sig.signature.rsassa.sig;
      out.assign(k > s.size ? k - s.size : 0, 0);
      out.insert(out.end(), s.buffer, s.buffer + s.size);
    }
    return {};
  }));
  return out;
}

}  // namespace edgesec::keyd::engines::tpm

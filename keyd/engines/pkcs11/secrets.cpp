// Secret keys on the token: AES-256 (usage encrypt: AES-256-GCM) or a generic secret (usage sign
// and/or derive: HMAC-SHA256). Usage is kept in the key's own attributes: CKA_ENCRYPT for encrypt,
// CKA_VERIFY for sign, CKA_DERIVE for derive (an HMAC key needs CKA_SIGN for both sign and derive).
// A token that cannot make such keys gets a clear error; nothing falls back to files.
#include <openssl/rand.h>

#include "keyd/engines/pkcs11/operations.hpp"

namespace edgesec::keyd::engines::pkcs11 {
namespace {

ck_attribute Attr(unsigned long type, const void* data, size_t len) {
  return ck_attribute{type, const_cast<void*>(data), len};
}
const unsigned char kTrue = 1;
const unsigned char kFalse = 0;

}  // namespace

Status CreateSecret(Context& ctx, const std::string& key_id, uint32_t usage, const Secret* bytes) {
  bool aes = (usage & EDGESEC_USAGE_ENCRYPT) != 0;
  if (aes && (usage & (EDGESEC_USAGE_SIGN | EDGESEC_USAGE_DERIVE)) != 0)
    return InvalidParameter(
        "a PKCS#11 token key is either an AES-256 key (usage 'encrypt') or an HMAC key "
        "(usage 'sign', 'derive'), not both: create two keys");
  if (aes && bytes != nullptr && bytes->size() != 32)
    return InvalidParameter("an AES-256 key (usage 'encrypt') must be 32 bytes long");
  if (!aes && bytes != nullptr && (bytes->size() < 32 || bytes->size() > 512))
    return InvalidParameter("an HMAC key on a PKCS#11 token must be 32 to 512 bytes long");
  Context::Where where = ctx.SecretAt(key_id);
  const std::string& label = *where.locator.label;
  const Bytes& id = *where.locator.id;
  unsigned long cls = CKO_SECRET_KEY, type = aes ? CKK_AES : CKK_GENERIC_SECRET, value_len = 32;
  const unsigned char* sign = (usage & EDGESEC_USAGE_SIGN) ? &kTrue : &kFalse;
  const unsigned char* derive = (usage & EDGESEC_USAGE_DERIVE) ? &kTrue : &kFalse;
  std::vector<ck_attribute> tmpl = {Attr(CKA_CLASS, &cls, sizeof cls),
                                    Attr(CKA_KEY_TYPE, &type, sizeof type),
                                    Attr(CKA_TOKEN, &kTrue, 1),
                                    Attr(CKA_PRIVATE, &kTrue, 1),
                                    Attr(CKA_SENSITIVE, &kTrue, 1),
                                    Attr(CKA_EXTRACTABLE, &kFalse, 1),
                                    Attr(CKA_LABEL, label.data(), label.size()),
                                    Attr(CKA_ID, id.data(), id.size())};
  if (aes) {
    tmpl.push_back(Attr(CKA_ENCRYPT, &kTrue, 1));
    tmpl.push_back(Attr(CKA_DECRYPT, &kTrue, 1));
  } else {
    tmpl.push_back(Attr(CKA_SIGN, &kTrue, 1));
    tmpl.push_back(Attr(CKA_VERIFY, sign, 1));
    tmpl.push_back(Attr(CKA_DERIVE, derive, 1));
  }
  if (bytes != nullptr)
    tmpl.push_back(Attr(CKA_VALUE, bytes->data(), bytes->size()));
  else
    tmpl.push_back(Attr(CKA_VALUE_LEN, &value_len, sizeof value_len));

  auto done = where.token->Run<bool>([&](const Call& c) -> Expected<bool> {
    EDGESEC_ASSIGN_OR_RETURN(auto old, FindObjects(c, CKO_SECRET_KEY, where.locator));
    ck_object_handle_t key = 0;
    if (bytes != nullptr) {
      // CKA_CLASS is implied by C_GenerateKey but required by C_CreateObject.
      EDGESEC_TRY(
          Check(c.f.C_CreateObject(c.session, tmpl.data(), tmpl.size(), &key),
                std::string("importing an ") + (aes ? "AES-256" : "HMAC") + " key onto the token"));
    } else {
      ck_mechanism mech{aes ? CKM_AES_KEY_GEN : CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
      EDGESEC_TRY(
          Check(c.f.C_GenerateKey(c.session, &mech, tmpl.data() + 1, tmpl.size() - 1, &key),
                std::string("generating an ") + (aes ? "AES-256" : "HMAC") + " key on the token"));
    }
    DestroyAll(c, old);
    return true;
  });
  if (!done) return done.error();
  return {};
}

Expected<uint32_t> GetSecret(Context& ctx, const std::string& key_id) {
  Context::Where where = ctx.SecretAt(key_id);
  return where.token->Run<uint32_t>([&](const Call& c) -> Expected<uint32_t> {
    EDGESEC_ASSIGN_OR_RETURN(auto found, FindObjects(c, CKO_SECRET_KEY, where.locator));
    if (found.empty()) return NotFoundOnToken(c, where.what);
    uint32_t usage = 0;
    if (GetBool(c, found[0], CKA_ENCRYPT)) usage |= EDGESEC_USAGE_ENCRYPT;
    if (GetBool(c, found[0], CKA_VERIFY)) usage |= EDGESEC_USAGE_SIGN;
    if (GetBool(c, found[0], CKA_DERIVE)) usage |= EDGESEC_USAGE_DERIVE;
    return usage;
  });
}

Expected<Bytes> SecretOp(Context& ctx, const std::string& key_id, edgesec_secret_op op,
                         const Bytes& iv, const Bytes& aad, const Bytes& in) {
  bool encrypt = op == EDGESEC_SECRET_AEAD_ENCRYPT;
  if (op != EDGESEC_SECRET_HMAC_SHA256) {
    if (iv.empty() || iv.size() > 128) return InvalidParameter("iv must be 1 to 128 bytes long");
    if (!encrypt && in.size() < 16) return InvalidParameter("ciphertext is shorter than its tag");
  }
  Context::Where where = ctx.SecretAt(key_id);
  return where.token->Run<Bytes>([&](const Call& c) -> Expected<Bytes> {
    EDGESEC_ASSIGN_OR_RETURN(auto found, FindObjects(c, CKO_SECRET_KEY, where.locator));
    if (found.empty()) return NotFoundOnToken(c, where.what);
    EDGESEC_ASSIGN_OR_RETURN(unsigned long type, GetUlong(c, found[0], CKA_KEY_TYPE));
    Bytes data = in;  // PKCS#11 takes non-const buffers
    if (op == EDGESEC_SECRET_HMAC_SHA256) {
      if (type == CKK_AES)
        return InvalidParameter("key '" + key_id +
                                "' is an AES key on the token; it cannot make HMACs");
      ck_mechanism mech{CKM_SHA256_HMAC, nullptr, 0};
      EDGESEC_TRY(Check(c.f.C_SignInit(c.session, &mech, found[0]), "C_SignInit (HMAC-SHA256)"));
      Bytes mac(32);
      unsigned long len = mac.size();
      EDGESEC_TRY(Check(c.f.C_Sign(c.session, data.data(), data.size(), mac.data(), &len),
                        "C_Sign (HMAC-SHA256)"));
      mac.resize(len);
      return mac;
    }
    if (type != CKK_AES)
      return InvalidParameter("key '" + key_id +
                              "' is an HMAC key on the token; it cannot encrypt");
    Bytes iv_copy = iv, aad_copy = aad;
    ck_gcm_params gcm{iv_copy.data(),  iv_copy.size(),  iv_copy.size() * 8,
                      aad_copy.data(), aad_copy.size(), 128};
    ck_mechanism mech{CKM_AES_GCM, &gcm, sizeof gcm};
    Bytes out(in.size() + 16);
    unsigned long len = out.size();
    if (encrypt) {
      EDGESEC_TRY(Check(c.f.C_EncryptInit(c.session, &mech, found[0]), "C_EncryptInit (AES-GCM)"));
      EDGESEC_TRY(Check(c.f.C_Encrypt(c.session, data.data(), data.size(), out.data(), &len),
                        "C_Encrypt (AES-GCM)"));
    } else {
      EDGESEC_TRY(Check(c.f.C_DecryptInit(c.session, &mech, found[0]), "C_DecryptInit (AES-GCM)"));
      ck_rv_t rv = c.f.C_Decrypt(c.session, data.data(), data.size(), out.data(), &len);
      // SoftHSM2 reports a tag that does not match as CKR_GENERAL_ERROR: not a reason to reopen the
      // module.
      if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
          rv == CKR_DATA_INVALID || rv == CKR_GENERAL_ERROR)
        return InvalidParameter("decryption failed: the ciphertext, iv, aad or tag do not match");
      EDGESEC_TRY(Check(rv, "C_Decrypt (AES-GCM)"));
    }
    out.resize(len);
    return out;
  });
}

}  // namespace edgesec::keyd::engines::pkcs11

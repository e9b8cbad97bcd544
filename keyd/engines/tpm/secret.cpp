// Secret keys in the TPM: HMAC-SHA256 keyed-hash objects under the primary, made by the TPM or from
// imported key bytes (TPM2_Create with the bytes as sensitive data). AES-256-GCM is not a TPM 2.0
// operation, so keys with usage "encrypt" are refused rather than kept anywhere else.
#include <cstring>

#include "keyd/engines/tpm/context.hpp"
#include "keyd/engines/tpm/templates.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

constexpr size_t kSha256BlockBytes = 64;

Expected<Bytes> HmacSequence(ESYS_CONTEXT* esys, ESYS_TR key, const Bytes& message,
                             const std::string& id) {
  TPM2B_AUTH no_auth{};
  ESYS_TR sequence = ESYS_TR_NONE;
  TSS2_RC rc = Esys_HMAC_Start(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &no_auth,
                               TPM2_ALG_SHA256, &sequence);
  if (rc != TSS2_RC_SUCCESS) return TpmError("starting an HMAC with key '" + id + "'", rc);
  size_t at = 0;
  TPM2B_MAX_BUFFER chunk{};
  while (message.size() - at > sizeof chunk.buffer) {
    chunk.size = sizeof chunk.buffer;
    std::memcpy(chunk.buffer, message.data() + at, chunk.size);
    at += chunk.size;
    rc = Esys_SequenceUpdate(esys, sequence, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &chunk);
    if (rc != TSS2_RC_SUCCESS) {
      Esys_FlushContext(esys, sequence);
      return TpmError("HMAC with key '" + id + "'", rc);
    }
  }
  chunk.size = static_cast<UINT16>(message.size() - at);
  std::memcpy(chunk.buffer, message.data() + at, chunk.size);
  TPM2B_DIGEST* raw = nullptr;
  TPMT_TK_HASHCHECK* raw_ticket = nullptr;
  rc = Esys_SequenceComplete(esys, sequence, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &chunk,
                             ESYS_TR_RH_NULL, &raw, &raw_ticket);
  EsysPtr<TPM2B_DIGEST> mac(raw);
  EsysPtr<TPMT_TK_HASHCHECK> ticket(raw_ticket);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_FlushContext(esys, sequence);
    return TpmError("HMAC with key '" + id + "'", rc);
  }
  return Bytes(mac->buffer, mac->buffer + mac->size);
}

}  // namespace

Status CreateHmacKey(Context& c, const std::string& id, uint32_t usage, const uint8_t* key_bytes,
                     size_t len) {
  if ((usage & EDGESEC_USAGE_ENCRYPT) != 0)
    return Unsupported(
        "the TPM engine cannot hold keys with usage 'encrypt': AES-256-GCM is not a TPM 2.0 "
        "operation "
        "(TPM keys are HMAC-SHA256 keys for 'sign' and 'derive'); put encrypt keys in another "
        "engine "
        "with a [[key_engine]] rule");
  TPM2B_SENSITIVE_CREATE sensitive{};
  if (key_bytes != nullptr) {
    if (len == 0 || len > 1024) return InvalidParameter("key bytes must be 1 to 1024 bytes long");
    // HMAC itself replaces a key longer than the hash's block by its hash: the MACs are identical.
    Bytes hashed = len > kSha256BlockBytes ? Sha256(key_bytes, len) : Bytes();
    const uint8_t* data = hashed.empty() ? key_bytes : hashed.data();
    sensitive.sensitive.data.size = static_cast<UINT16>(hashed.empty() ? len : hashed.size());
    std::memcpy(sensitive.sensitive.data.buffer, data, sensitive.sensitive.data.size);
    OPENSSL_cleanse(hashed.data(), hashed.size());
  }
  TPM2B_PUBLIC in_public = HmacTemplate(key_bytes == nullptr);
  KeyBlob blob;
  blob.id = id;
  blob.kind = EDGESEC_KEY_SECRET;
  blob.algorithm = "hmac-sha256";
  blob.usage = usage;
  Status created = c.tpm->Run([&](ESYS_CONTEXT* esys, ESYS_TR primary) -> Status {
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION pcrs{};
    TPM2B_PRIVATE* raw_priv = nullptr;
    TPM2B_PUBLIC* raw_pub = nullptr;
    TSS2_RC rc =
        Esys_Create(esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                    &in_public, &outside, &pcrs, &raw_priv, &raw_pub, nullptr, nullptr, nullptr);
    EsysPtr<TPM2B_PRIVATE> priv(raw_priv);
    EsysPtr<TPM2B_PUBLIC> pub(raw_pub);
    if (rc != TSS2_RC_SUCCESS) return TpmError("creating HMAC key '" + id + "'", rc);
    blob.pub = *pub;
    blob.priv = *priv;
    return {};
  });
  OPENSSL_cleanse(&sensitive, sizeof sensitive);
  EDGESEC_TRY(created);
  return c.store.Write(blob);
}

Expected<Bytes> HmacSha256(Context& c, const std::string& id, const Bytes& message) {
  EDGESEC_ASSIGN_OR_RETURN(KeyBlob blob, c.store.Read(EDGESEC_KEY_SECRET, id));
  Bytes out;
  EDGESEC_TRY(c.tpm->Run([&](ESYS_CONTEXT* esys, ESYS_TR primary) -> Status {
    EDGESEC_ASSIGN_OR_RETURN(LoadedKey key,
                             LoadedKey::Load(esys, primary, blob.pub, blob.priv, id));
    TPM2B_MAX_BUFFER buffer{};
    if (message.size() > sizeof buffer.buffer) {
      EDGESEC_ASSIGN_OR_RETURN(out, HmacSequence(esys, key.handle(), message, id));
      return {};
    }
    buffer.size = static_cast<UINT16>(message.size());
    std::memcpy(buffer.buffer, message.data(), message.size());
    TPM2B_DIGEST* raw = nullptr;
    TSS2_RC rc = Esys_HMAC(esys, key.handle(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &buffer, TPM2_ALG_SHA256, &raw);
    EsysPtr<TPM2B_DIGEST> mac(raw);
    if (rc != TSS2_RC_SUCCESS) return TpmError("HMAC with key '" + id + "'", rc);
    out.assign(mac->buffer, mac->buffer + mac->size);
    return {};
  }));
  return out;
}

}  // namespace edgesec::keyd::engines::tpm

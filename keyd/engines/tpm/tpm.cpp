#include "keyd/engines/tpm/tpm.hpp"

#include <cstdio>
#include <cstring>
#include <map>

#include "common/log.hpp"
#include "keyd/engines/tpm/templates.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

std::string HandleText(TPM2_HANDLE h) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", h);
  return text;
}

// Every Tpm of the process by TCTI string (see Connect).
std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<Tpm>>& Registry() {
  static std::map<std::string, std::weak_ptr<Tpm>> registry;
  return registry;
}

Status SetAuth(ESYS_CONTEXT* esys, ESYS_TR object, const Secret& auth) {
  TPM2B_AUTH value{};
  if (auth.size() > sizeof value.buffer)
    return MakeError(ErrorKind::kConfig, "the owner hierarchy auth is longer than " +
                                             std::to_string(sizeof value.buffer) + " bytes");
  value.size = static_cast<UINT16>(auth.size());
  if (!auth.empty()) std::memcpy(value.buffer, auth.data(), auth.size());
  TSS2_RC rc = Esys_TR_SetAuth(esys, object, &value);
  OPENSSL_cleanse(&value, sizeof value);
  if (rc != TSS2_RC_SUCCESS) return TpmError("setting the owner hierarchy auth", rc);
  return {};
}

}  // namespace

TSS2_RC BaseTpmCode(TSS2_RC rc) {
  if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER) return rc;
  return (rc & TPM2_RC_FMT1) ? (rc & (0x3F | TPM2_RC_FMT1)) : (rc & 0xFFF);
}

Expected<std::shared_ptr<Tpm>> Tpm::Connect(TpmOptions options) {
  std::lock_guard registry_lock(registry_mutex);
  auto& slot = Registry()[options.tcti];
  if (auto existing = slot.lock()) {
    std::lock_guard lock(existing->mutex_);
    bool same_primary = existing->options_.persistent_handle == options.persistent_handle;
    existing->options_.owner_auth = std::move(options.owner_auth);
    existing->options_.persistent_handle = options.persistent_handle;
    if (!same_primary || !existing->esys_) {
      existing->DisconnectLocked();
      EDGESEC_TRY(existing->ConnectLocked());
    }
    return existing;
  }
  auto tpm = std::shared_ptr<Tpm>(new Tpm(std::move(options)));
  {
    std::lock_guard lock(tpm->mutex_);
    EDGESEC_TRY(tpm->ConnectLocked());
  }
  slot = tpm;
  return tpm;
}

Tpm::~Tpm() {
  std::lock_guard lock(mutex_);
  DisconnectLocked();
}

void Tpm::DisconnectLocked() {
  esys_.reset();
  tcti_.reset();
  primary_ = ESYS_TR_NONE;
}

Status Tpm::ConnectLocked() {
  const std::string& tcti = options_.tcti;
  TSS2_TCTI_CONTEXT* raw_tcti = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &raw_tcti);
  if (rc != TSS2_RC_SUCCESS)
    return MakeError(
        ErrorKind::kIo,
        "cannot open the TPM through TCTI '" + tcti + "' (no TPM there, or a wrong tcti)",
        RcText(rc));
  tcti_.reset(raw_tcti);
  ESYS_CONTEXT* raw_esys = nullptr;
  rc = Esys_Initialize(&raw_esys, tcti_.get(), nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    DisconnectLocked();
    return MakeError(ErrorKind::kIo, "cannot talk to the TPM through TCTI '" + tcti + "'",
                     RcText(rc));
  }
  esys_.reset(raw_esys);
  // A simulator may not have been started up; a TPM that has been answers TPM2_RC_INITIALIZE.
  if (tcti.rfind("swtpm", 0) == 0 || tcti.rfind("mssim", 0) == 0) {
    rc = Esys_Startup(esys_.get(), TPM2_SU_CLEAR);
    if (rc != TSS2_RC_SUCCESS && BaseTpmCode(rc) != TPM2_RC_INITIALIZE && IsConnectionError(rc)) {
      DisconnectLocked();
      return MakeError(ErrorKind::kIo, "cannot talk to the TPM through TCTI '" + tcti + "'",
                       RcText(rc));
    }
  }
  Status primary = EnsurePrimaryLocked();
  if (!primary) DisconnectLocked();
  return primary;
}

Status Tpm::EnsurePrimaryLocked() {
  const std::string handle_text = HandleText(options_.persistent_handle);
  // Ask first, rather than let Esys_TR_FromTPMPublic fail (and tss2 log an error) for an empty
  // handle.
  TPMS_CAPABILITY_DATA* raw_caps = nullptr;
  TSS2_RC rc =
      Esys_GetCapability(esys_.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                         options_.persistent_handle, 1, nullptr, &raw_caps);
  EsysPtr<TPMS_CAPABILITY_DATA> caps(raw_caps);
  if (IsConnectionError(rc))
    return MakeError(ErrorKind::kIo, "cannot talk to the TPM through TCTI '" + options_.tcti + "'",
                     RcText(rc));
  if (rc != TSS2_RC_SUCCESS) return TpmError("listing persistent handles", rc);
  bool present =
      caps->data.handles.count > 0 && caps->data.handles.handle[0] == options_.persistent_handle;
  ESYS_TR tr = ESYS_TR_NONE;
  if (present) {
    rc = Esys_TR_FromTPMPublic(esys_.get(), options_.persistent_handle, ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, &tr);
    if (rc != TSS2_RC_SUCCESS) return TpmError("looking up persistent handle " + handle_text, rc);
    TPM2B_PUBLIC* raw = nullptr;
    rc = Esys_ReadPublic(esys_.get(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw, nullptr,
                         nullptr);
    EsysPtr<TPM2B_PUBLIC> pub(raw);
    if (rc != TSS2_RC_SUCCESS)
      return TpmError("reading the key at persistent handle " + handle_text, rc);
    if (!IsStorageKey(pub->publicArea))
      return MakeError(
          ErrorKind::kConfig,
          "persistent handle " + handle_text +
              " holds a key that is not a storage key; set another persistent_handle in [tpm]");
    primary_ = tr;
    return {};
  }

  EDGESEC_TRY(SetAuth(esys_.get(), ESYS_TR_RH_OWNER, options_.owner_auth));
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_PUBLIC in_public = PrimaryTemplate();
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION pcrs{};
  ESYS_TR transient = ESYS_TR_NONE;
  rc = Esys_CreatePrimary(esys_.get(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                          ESYS_TR_NONE, &sensitive, &in_public, &outside, &pcrs, &transient,
                          nullptr, nullptr, nullptr, nullptr);
  if (IsAuthError(rc))
    return MakeError(ErrorKind::kConfig,
                     "the owner hierarchy auth is wrong: creating the storage primary key at " +
                         handle_text +
                         " needs the TPM's owner password in [tpm] owner_auth or owner_auth_file",
                     RcText(rc));
  if (rc != TSS2_RC_SUCCESS) return TpmError("creating the storage primary key", rc);
  ESYS_TR persistent = ESYS_TR_NONE;
  rc = Esys_EvictControl(esys_.get(), ESYS_TR_RH_OWNER, transient, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, options_.persistent_handle, &persistent);
  Esys_FlushContext(esys_.get(), transient);
  if (IsAuthError(rc))
    return MakeError(
        ErrorKind::kConfig,
        "the owner hierarchy auth is wrong: making the storage primary key persistent needs "
        "the TPM's owner password in [tpm] owner_auth or owner_auth_file",
        RcText(rc));
  if (rc != TSS2_RC_SUCCESS)
    return TpmError("making the storage primary key persistent at " + handle_text, rc);
  log::Notice("tpm: created the storage primary key at persistent handle " + handle_text);
  primary_ = persistent;
  return {};
}

Status Tpm::Run(const Op& op) {
  std::lock_guard lock(mutex_);
  Status result =
      esys_ ? op(esys_.get(), primary_) : Status(MakeError(ErrorKind::kIo, "not connected"));
  if (result || result.error().kind != ErrorKind::kIo) return result;
  log::Warning("tpm: " + result.error().Describe() + "; reconnecting through TCTI '" +
               options_.tcti + "'");
  DisconnectLocked();
  EDGESEC_TRY(ConnectLocked());
  return op(esys_.get(), primary_);
}

Expected<LoadedKey> LoadedKey::Load(ESYS_CONTEXT* esys, ESYS_TR primary, const TPM2B_PUBLIC& pub,
                                    const TPM2B_PRIVATE& priv, const std::string& id) {
  ESYS_TR handle = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_Load(esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &handle);
  if (rc == TSS2_RC_SUCCESS) return LoadedKey(esys, handle);
  TSS2_RC code = BaseTpmCode(rc);
  if (code == TPM2_RC_INTEGRITY || code == TPM2_RC_BINDING)
    return Internal(
        "key '" + id + "' was not made under this TPM's storage primary key (was the TPM cleared?)",
        RcText(rc));
  return TpmError("loading key '" + id + "' into the TPM", rc);
}

LoadedKey::~LoadedKey() {
  if (handle_ != ESYS_TR_NONE) Esys_FlushContext(esys_, handle_);
}

}  // namespace edgesec::keyd::engines::tpm

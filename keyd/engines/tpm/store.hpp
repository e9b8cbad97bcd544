#pragma once
// The engine's key files: one per key id in the state directory (keypairs/ and secrets/, named by
// FileNameForId, mode 0600, written atomically), holding the id, the algorithm or usage, and the
// key's TPM2B_PUBLIC and TPM2B_PRIVATE marshalled by Tss2_MU and base64-encoded. The private blob
// is sealed by the TPM's storage primary key: it is of no use without that TPM.

#include <tss2/tss2_tpm2_types.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::tpm {

struct KeyBlob {
  std::string id;
  edgesec_key_kind kind = EDGESEC_KEY_PAIR;
  std::string algorithm;  // key pairs: "ec-p256", "rsa-2048"; secret keys: "hmac-sha256"
  uint32_t usage = 0;     // secret keys: EDGESEC_USAGE_* bits
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
};

class BlobStore {
 public:
  explicit BlobStore(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  Status Init() const;
  // kNotFound when absent.
  Expected<KeyBlob> Read(edgesec_key_kind kind, const std::string& id) const;
  Status Write(const KeyBlob& blob) const;
  Status Delete(edgesec_key_kind kind, const std::string& id) const;
  // Replaces `to`; `from` stays in place when the move fails.
  Status Move(edgesec_key_kind kind, const std::string& from, const std::string& to) const;
  // Every readable key file (a damaged one is skipped: it is reported when used).
  Expected<std::vector<KeyBlob>> List() const;

 private:
  std::string PathFor(edgesec_key_kind kind, const std::string& id) const;
  std::string state_dir_;
};

}  // namespace edgesec::keyd::engines::tpm

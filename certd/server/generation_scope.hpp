#pragma once
// Why the cert a thread is about to store is made: set (RAII) where the reason is known — the
// scheduler's threshold, POST /credentials/{id}/renew with its reason, an import — and read by the
// history hook that runs inside CertStore::Put on the same thread (lifecycle.cpp). A Put of
// another cert id under the scope (an EST identity cert during an enrollment) does not take it.

#include <optional>
#include <string>

#include "common/error.hpp"

namespace edgesec::certd {

// The `reason` of POST /credentials/{id}/renew: empty or one of manual, revoked, key-compromise,
// source-changed (kInvalidParameter otherwise). key-compromise forces a new key: `rotate_key` is
// set to true, and an explicit false is refused (a compromised key is never reused).
Status CheckRenewReason(const std::string& reason, std::optional<bool>* rotate_key);

class GenerationScope {
 public:
  GenerationScope(std::string id, std::string origin, std::string reason);
  ~GenerationScope();
  GenerationScope(const GenerationScope&) = delete;
  GenerationScope& operator=(const GenerationScope&) = delete;
  // The innermost scope of this thread for cert `id`, or null.
  static const GenerationScope* For(const std::string& id);
  const std::string& origin() const { return origin_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string id_, origin_, reason_;
  const GenerationScope* outer_;
};

}  // namespace edgesec::certd

#pragma once
// The certificate service: every certificates-API operation, independent of HTTP. Each checks the
// caller against the principals first.
// Errors: kInvalidParameter (bad input, a validation that failed, saying which), kUnauthorized,
// kNotFound, kUnavailable (keyd unreachable), kInternal (filesystem).

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "certd/api/certs_api.hpp"
#include "certd/server/config.hpp"
#include "certd/server/est_issuer.hpp"
#include "certd/store/store.hpp"
#include "common/paths.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::certd {

struct Caller {
  uid_t uid;
};

class CertService {
 public:
  using Clock = std::function<int64_t()>;  // seconds since the epoch
  static Expected<std::unique_ptr<CertService>> Create(const Layout& layout,
                                                       const CertdConfig& config,
                                                       Clock clock = nullptr);
  Status Reload(const CertdConfig& config);

  // POST /certificates: leaf + chain PEM.
  Expected<std::string> Issue(const Caller& c, const api::CreateCertRequest& request);
  // PUT /certificates/{id}: the stored PEM.
  Expected<std::string> Import(const Caller& c, const std::string& id, const std::string& pem);
  Expected<std::string> Get(const Caller& c, const std::string& id);
  // DELETE: removes the stored cert (which may have overridden a preloaded one). kInvalidParameter
  // for a preloaded cert with no stored override: the integrator's file is never deleted.
  Status Delete(const Caller& c, const std::string& id);
  Expected<std::vector<api::CertSummary>> List(const Caller& c);
  // POST /credentials/{id}/renew: EST re-enrollment, answered only after the new cert is committed.
  Expected<std::string> Renew(const Caller& c, const std::string& id,
                              std::optional<bool> rotate_key);

 private:
  struct State {
    CertdConfig config;
  };
  CertService(Layout layout, Clock clock) : layout_(std::move(layout)), clock_(std::move(clock)) {}
  std::shared_ptr<const State> Snapshot() const;
  Status Authorize(const State& s, const Caller& c, const std::string& id,
                   const char* action) const;
  std::shared_ptr<keyd::KeydClient> Keyd() const;
  Expected<std::string> IssueWith(const State& s, const Caller& c,
                                  const api::CreateCertRequest& request,
                                  const std::string& issuer_cert_id,
                                  const std::string& issuer_handle, const std::string& profile);
  Expected<std::string> SelfSign(const State& s, const api::CreateCertRequest& request,
                                 const Credential& cred);

  Layout layout_;
  Clock clock_;
  std::unique_ptr<store::CertStore> store_;
  mutable std::mutex state_mutex_;
  std::shared_ptr<const State> state_;
  std::shared_ptr<keyd::KeydClient> keyd_;
  std::unique_ptr<EstIssuer> est_;
};

}  // namespace edgesec::certd

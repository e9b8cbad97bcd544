#pragma once
// edgectl check: diagnostics of a running edgesec, one result per finding (as `iotedge check`).
// Each check family lives in its own file of cli/check/ and appends to a Report; check_commands.cpp
// runs them in order and prints the report. Checks only read: they never change the system.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "certd/api/lifecycle_api.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"

namespace edgesec::cli::check {

enum class Outcome { kPass, kWarn, kFail, kSkip };
const char* OutcomeName(Outcome o);  // "pass", "warn", "fail", "skip"

struct Result {
  std::string id;  // stable, e.g. "service-certd", "cert-validity:edge-ca"
  Outcome status = Outcome::kPass;
  std::string message;
  std::string hint;  // what to do; always set for warn and fail
};

class Report {
 public:
  void Pass(std::string id, std::string message) {
    Add({std::move(id), Outcome::kPass, std::move(message), {}});
  }
  void Skip(std::string id, std::string message, std::string hint = {}) {
    Add({std::move(id), Outcome::kSkip, std::move(message), std::move(hint)});
  }
  void Warn(std::string id, std::string message, std::string hint) {
    Add({std::move(id), Outcome::kWarn, std::move(message), std::move(hint)});
  }
  void Fail(std::string id, std::string message, std::string hint) {
    Add({std::move(id), Outcome::kFail, std::move(message), std::move(hint)});
  }
  void Add(Result r) { results_.push_back(std::move(r)); }

  const std::vector<Result>& results() const { return results_; }
  bool failed() const;
  Json ToJson() const;       // [{id, status, message, hint}]
  std::string Text() const;  // one line per result, hints indented below, a summary line
  // Under --root: every "edgectl " of a hint becomes "edgectl --root ROOT ", so that each hint is
  // the command to run as it stands.
  void RootHints(const std::string& root);

 private:
  std::vector<Result> results_;
};

// The user a service runs as: the invoking user under --root, else its system user.
struct ServiceUser {
  std::string service;  // "keyd", "certd", "identityd"
  std::string name;
  bool exists = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, with gid
};

// A certificate as certd serves it, gathered once by the certificate checks and read by the clock
// check.
struct CertSeen {
  std::string id;
  int64_t not_before = 0, not_after = 0;
};

// What the check families share.
struct Env {
  Layout layout;
  int64_t now = 0;
  std::map<std::string, bool> reachable;  // "keyd", "certd", "identityd", "workload"
  std::vector<CertSeen> certs;

  bool Reachable(const std::string& svc) const {
    auto it = reachable.find(svc);
    return it != reachable.end() && it->second;
  }
  // "edgectl up --root DIR" or "systemctl start edgesec-<svc>.socket".
  std::string StartHint(const std::string& svc) const;
  // "systemctl restart edgesec-<svc>" or "edgectl down --root DIR && edgectl up --root DIR".
  std::string RestartHint(const std::string& svc) const;
  // "kill -HUP $(cat DIR/run/edgesec/<svc>.pid)" or "systemctl reload edgesec-<svc>.service".
  std::string ReloadHint(const std::string& svc) const;
  ServiceUser UserOf(const std::string& service) const;
};

// The check families, in the order they run.
void CheckConfig(Env& env, Report& report);       // config_check.cpp
void CheckServices(Env& env, Report& report);     // services_check.cpp
void CheckCerts(Env& env, Report& report);        // certs_check.cpp
void CheckPermissions(Env& env, Report& report);  // permissions_check.cpp
void CheckEst(Env& env, Report& report);          // est_check.cpp
void CheckTokens(Env& env, Report& report);       // tokens_check.cpp
void CheckIssuance(Env& env, Report& report);     // issue_check.cpp
void CheckUnits(Env& env, Report& report);        // units_check.cpp
void CheckClock(Env& env, Report& report);        // clock_check.cpp
void CheckTrustStore(Env& env, Report& report);   // trust_check.cpp
void CheckAudit(Env& env, Report& report);        // audit_check.cpp
// One cert's revocation result (revocation_check.cpp), called by CheckCerts: `status` is certd's
// lifecycle status, `revocation` its revocation state (absent: no CRL to check), `revoked_hint`
// what replaces the cert.
void CheckRevocation(Report& report, const std::string& id, const std::string& status,
                     const std::optional<certd::api::RevocationInfo>& revocation,
                     const std::string& revoked_hint);

// "3 days", "5 hours", "12 minutes": a rough span for messages.
std::string Span(int64_t seconds);

}  // namespace edgesec::cli::check

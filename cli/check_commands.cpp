// edgectl check: diagnostics like `iotedge check` (the families live in cli/check/). Exit code 0
// when no check fails (warnings and skips allowed), 1 otherwise.
#include <ctime>
#include <iostream>

#include "cli/check/check.hpp"
#include "cli/cli.hpp"

namespace edgesec::cli {
namespace {

int Check(Context& ctx) {
  check::Env env;
  env.layout = ctx.layout;
  env.now = static_cast<int64_t>(std::time(nullptr));
  check::Report report;
  check::CheckConfig(env, report);
  check::CheckServices(env, report);
  check::CheckCerts(env, report);
  check::CheckRevocation(env, report);
  check::CheckIssuance(env, report);
  check::CheckPermissions(env, report);
  check::CheckEst(env, report);
  check::CheckTokens(env, report);
  check::CheckUnits(env, report);
  check::CheckClock(env, report);
  check::CheckTrustStore(env, report);
  check::CheckAudit(env, report);
  if (env.layout.is_rooted()) report.RootHints(env.layout.root);
  if (ctx.json)
    std::cout << report.ToJson().dump(2) << "\n";
  else
    std::cout << report.Text();
  return report.failed() ? kFailure : kOk;
}

}  // namespace

std::vector<Command> CheckCommands() {
  return {
      {{"check"},
       "",
       0,
       0,
       "diagnose the installation: configs, services, certificates, file permissions, EST server, "
       "tokens, clock, the OS trust store (exit 1 when a check fails; warnings allowed)",
       {},
       &Check},
  };
}

}  // namespace edgesec::cli

// The audit log's hash chain (docs/audit.md): pass when intact, fail naming the first bad
// FILE:LINE. Nothing repairs a broken chain — the break is the evidence. The hint keeps the files
// aside and lets keyd start a new file chained to the line it last wrote.
#include <unistd.h>

#include "cli/check/check.hpp"
#include "common/audit/verify.hpp"
#include "common/fs.hpp"

namespace edgesec::cli::check {

void CheckAudit(Env& env, Report& report) {
  const std::string logs = env.layout.logs();
  const std::string current = logs + "/audit.jsonl";
  std::vector<std::string> files = audit::ChainFiles(current);
  if (files.empty()) {
    report.Skip("audit-log",
                "no audit log at '" + current + "' yet (keyd writes it when it starts)",
                env.StartHint("keyd"));
    return;
  }
  if (::access(files.back().c_str(), R_OK) != 0) {
    report.Skip("audit-log", "cannot read the audit log '" + files.back() + "' as this user",
                "sudo edgectl check");
    return;
  }
  auto head = audit::ReadHead(env.layout.ServiceStateDir("keyd") + "/audit-head");
  auto result = audit::VerifyFiles(files, head);
  if (!result) {
    report.Fail("audit-log", "cannot verify the audit log: " + result.error().Describe(),
                "edgectl audit verify");
    return;
  }
  if (result->ok) {
    report.Pass("audit-log", "audit log intact (" + std::to_string(result->lines) + " lines in " +
                                 std::to_string(result->files) + " file(s))");
    return;
  }
  const std::string aside = logs + "/tampered-" + std::to_string(env.now);
  report.Fail("audit-log",
              "the audit log's hash chain is broken at " + result->where + ": " + result->reason +
                  " (nothing repairs it: keep the files as evidence; keyd then starts a new file "
                  "chained to the line it last wrote)",
              "mkdir '" + aside + "' && mv '" + logs + "'/audit.jsonl* '" + aside + "'/");
}

}  // namespace edgesec::cli::check

// edgectl audit verify [--file FILE]: checks the hash chain of keyd's audit log (docs/audit.md).
// Exit 0 on an intact chain, 1 naming the first line (FILE:LINE) that does not parse or chain.
#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "common/audit/verify.hpp"
#include "common/fs.hpp"
#include "common/ossl.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::cli {
namespace {

int Verify(Context& ctx) {
  const bool own_log = !ctx.Has("--file");
  const std::string current = own_log ? AuditLogPath(ctx.layout) : ctx.Option("--file");
  std::vector<std::string> files = audit::ChainFiles(current);
  if (files.empty())
    return Fail("no audit log at '" + current + "'" +
                (own_log ? " (keyd writes it from its first start)" : ""));
  // keyd's head (what it last wrote) shows a log cut at a line boundary; only for keyd's own log.
  std::optional<audit::Head> head;
  if (own_log) head = audit::ReadHead(AuditHeadPath(ctx.layout));
  auto result = audit::VerifyFiles(files, head);
  if (!result) return Fail(result.error().Describe());
  Json j = {{"ok", result->ok},       {"lines", result->lines},   {"files", files},
            {"where", result->where}, {"reason", result->reason}, {"head", head.has_value()}};
  if (!result->ok) {
    if (ctx.json) std::cout << j.dump(2) << "\n";
    return Fail(result->where + ": " + result->reason);
  }
  std::string text = "audit log intact: " + std::to_string(result->lines) + " lines in " +
                     std::to_string(result->files) + " file(s), last seq " +
                     std::to_string(result->last_seq);
  if (own_log && !head)
    text += "\nnote: keyd's head file '" + AuditHeadPath(ctx.layout) +
            "' could not be read (run as root): a log cut at a line boundary is not detected";
  ctx.Print(j, text);
  return kOk;
}

}  // namespace

std::string AuditLogPath(const Layout& layout) {
  return layout.logs() + "/audit.jsonl";
}

std::string AuditHeadPath(const Layout& layout) {
  return layout.ServiceStateDir("keyd") + "/audit-head";
}

void AuditConfigApply(const Context& ctx, const std::string& config_path) {
  Json event = {{"service", "edgectl"}, {"event", "config.apply"}, {"outcome", "success"}};
  auto text = fs::ReadFile(config_path);
  event["sha256"] = HexLower(Sha256(text ? *text : std::string()));  // none: the defaults
  const std::string socket = ctx.layout.Socket("keyd");
  if (!fs::Exists(socket)) return;  // keyd is not running: nothing to record it
  keyd::KeydClient keyd(socket);
  if (Status st = keyd.PostAudit(event); !st)
    std::fprintf(stderr, "warning: config apply is not recorded in keyd's audit log: %s\n",
                 st.error().Describe().c_str());
}

std::vector<Command> AuditCommands() {
  return {
      {{"audit", "verify"},
       "",
       0,
       0,
       "check the hash chain of keyd's audit log and its rotated files (exit 1 naming the first "
       "FILE:LINE that does not parse or chain)",
       {{"--file", "FILE", "verify FILE and its rotated FILE.1, FILE.2, … instead of keyd's log"}},
       &Verify},
  };
}

}  // namespace edgesec::cli

#pragma once
// edgectl: commands and options are data (one table used for parsing and for --help).

#include <map>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/paths.hpp"

namespace edgesec::cli {

struct Context {
  Layout layout = Layout::System();
  bool json = false;
  long timeout_ms = 60000;  // --timeout: how long to wait for a service's answer
  std::vector<std::string> args;               // positional arguments after the command words
  std::map<std::string, std::string> options;  // command options ("--alg" → "ec-p256")

  bool Has(const std::string& o) const { return options.count(o) != 0; }
  std::string Option(const std::string& o, const std::string& fallback = {}) const {
    auto it = options.find(o);
    return it == options.end() ? fallback : it->second;
  }
  // Prints a JSON document (with --json) or the text.
  void Print(const Json& j, const std::string& text) const;
};

struct OptionSpec {
  std::string name;   // "--alg"
  std::string value;  // "" for a flag, else the value's name in help ("ALGS")
  std::string help;
};

struct Command {
  std::vector<std::string> words;  // {"key", "create"}
  std::string positional;          // "<key-id>" for help; used to count required arguments
  size_t min_args = 0, max_args = 0;
  std::string summary;
  std::vector<OptionSpec> options;
  int (*run)(Context&);
};

// Exit codes (DESIGN.md): 0 success, 1 failure, 2 usage, 3 still pending (a request certd kept
// running after edgectl stopped waiting: cert enroll/renew/reenroll).
constexpr int kOk = 0, kFailure = 1, kUsage = 2, kPending = 3;

std::vector<Command> ProcessCommands();
std::vector<Command> KeyCommands();
std::vector<Command> CertCommands();
std::vector<Command> IdentityCommands();  // identity show, ca show, module cert
std::vector<Command> ConfigCommands();  // config check|show|apply|import
std::vector<Command> EstCommands();    // cert enroll|reenroll, est cacerts|csrattrs
std::vector<Command> CheckCommands();  // check (check_commands.cpp, cli/check/)
std::vector<Command> TrustCommands();  // trust install|remove, ca export (trust_commands.cpp)
std::vector<Command> AuditCommands();  // audit verify (audit_commands.cpp)
// keyd's audit log and its head file (docs/audit.md).
std::string AuditLogPath(const Layout& layout);
std::string AuditHeadPath(const Layout& layout);
// Records `config apply` of `config_path` (its SHA-256, never its text) in keyd's audit log; a
// failure is a warning on stderr, never a failure of the apply (audit_commands.cpp).
void AuditConfigApply(const Context& ctx, const std::string& config_path);
std::vector<Command> MetricsCommands();  // metrics [--textfile DIR] (metrics_commands.cpp)
std::vector<Command> ProvisionCommands();  // provision, provision device (provision_*.cpp)
int Fail(const std::string& message);  // prints "edgectl: message" to stderr, returns kFailure

int Main(int argc, char** argv);

}  // namespace edgesec::cli

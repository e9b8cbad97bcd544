#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "common/log.hpp"

namespace edgesec::cli {
namespace {

const char* kGlobalHelp =
    "Global options (accepted anywhere):\n"
    "  --root DIR         use the layout under DIR (as `edgectl up --root DIR` started it)\n"
    "  --json             print JSON instead of text\n"
    "  --log-level LEVEL  error, warn, notice, info or debug\n"
    "  --timeout SECONDS  how long to wait for certd's answer (default 60); cert enroll, renew\n"
    "                     and reenroll of an est credential wait its EST max_wait on top\n"
    "  --help             help for edgectl or for a command\n";

std::vector<Command> AllCommands() {
  std::vector<Command> all = ProcessCommands();
  for (auto& c : KeyCommands()) all.push_back(std::move(c));
  for (auto& c : CertCommands()) all.push_back(std::move(c));
  for (auto& c : EstCommands()) all.push_back(std::move(c));
  for (auto& c : IdentityCommands()) all.push_back(std::move(c));
  for (auto& c : ConfigCommands()) all.push_back(std::move(c));
  for (auto& c : CheckCommands()) all.push_back(std::move(c));
  for (auto& c : TrustCommands()) all.push_back(std::move(c));
  for (auto& c : AuditCommands()) all.push_back(std::move(c));
  for (auto& c : MetricsCommands()) all.push_back(std::move(c));
  for (auto& c : ProvisionCommands()) all.push_back(std::move(c));
  return all;
}

std::string Words(const Command& c) {
  std::string s;
  for (const auto& w : c.words) s += (s.empty() ? "" : " ") + w;
  return s;
}

void PrintUsage(const std::vector<Command>& commands) {
  std::printf("Usage: edgectl [global options] <command> [options] [arguments]\n\nCommands:\n");
  for (const auto& c : commands) {
    std::string head = Words(c) + (c.positional.empty() ? "" : " " + c.positional);
    std::printf("  %-28s %s\n", head.c_str(), c.summary.c_str());
  }
  std::printf("\n%s\nExit codes: 0 success, 1 failure, 2 usage error, 3 still pending (cert enroll/renew/\n"
      "reenroll: certd had not answered in time and goes on; see `edgectl cert list`).\n", kGlobalHelp);
}

void PrintCommandHelp(const Command& c) {
  std::printf("Usage: edgectl %s%s%s\n\n%s\n", Words(c).c_str(),
              c.options.empty() ? "" : " [options]",
              c.positional.empty() ? "" : (" " + c.positional).c_str(), c.summary.c_str());
  if (!c.options.empty()) {
    std::printf("\nOptions:\n");
    for (const auto& o : c.options) {
      std::string head = o.name + (o.value.empty() ? "" : " " + o.value);
      std::printf("  %-24s %s\n", head.c_str(), o.help.c_str());
    }
  }
  std::printf("\n%s", kGlobalHelp);
}

}  // namespace

void Context::Print(const Json& j, const std::string& text) const {
  if (json)
    std::cout << j.dump(2) << "\n";
  else
    std::cout << text << (text.empty() || text.back() == '\n' ? "" : "\n");
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "edgectl: %s\n", message.c_str());
  return kFailure;
}

namespace {

bool ParseSeconds(const std::string& text, long* out) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *out = std::stol(text);
  return *out >= 1 && *out <= 86400;
}

// The global options, taken from anywhere on the line; the rest is left in `rest`. kUsage after
// printing what is wrong, else kOk.
int ParseGlobals(int argc, char** argv, Context* ctx, bool* help, std::vector<std::string>* rest) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto take = [&](const std::string& name, std::string* out) -> bool {
      if (a == name) {
        if (i + 1 >= argc) return false;
        *out = argv[++i];
        return true;
      }
      *out = a.substr(name.size() + 1);
      return true;
    };
    if (a == "--json")
      ctx->json = true;
    else if (a == "--help" || a == "-h")
      *help = true;
    else if (a == "--root" || a.rfind("--root=", 0) == 0) {
      std::string dir;
      if (!take("--root", &dir) || dir.empty()) {
        std::fprintf(stderr, "edgectl: --root needs a directory\n");
        return kUsage;
      }
      ctx->layout = Layout::UnderRoot(dir);
    } else if (a == "--log-level" || a.rfind("--log-level=", 0) == 0) {
      std::string level;
      log::Level l;
      if (!take("--log-level", &level) || !log::ParseLevel(level, &l)) {
        std::fprintf(stderr, "edgectl: --log-level must be error, warn, notice, info or debug\n");
        return kUsage;
      }
      log::SetLevel(l);
    } else if (a == "--timeout" || a.rfind("--timeout=", 0) == 0) {
      std::string text;
      long seconds = 0;
      if (!take("--timeout", &text) || !ParseSeconds(text, &seconds)) {
        std::fprintf(stderr, "edgectl: --timeout must be a number of seconds from 1 to 86400\n");
        return kUsage;
      }
      ctx->timeout_ms = seconds * 1000;
    } else
      rest->push_back(a);
  }
  return kOk;
}

// The longest command whose words prefix the non-option arguments, or null.
const Command* FindCommand(const std::vector<Command>& commands,
                           const std::vector<std::string>& words) {
  const Command* cmd = nullptr;
  for (const auto& c : commands) {
    if (c.words.size() > words.size()) continue;
    if (std::equal(c.words.begin(), c.words.end(), words.begin()) &&
        (!cmd || c.words.size() > cmd->words.size()))
      cmd = &c;
  }
  return cmd;
}

// No command matched: `edgectl cert --help` lists that group, `edgectl --help` all of them;
// anything else is a usage error.
int NoCommand(const std::vector<Command>& commands, const std::vector<std::string>& words,
              const std::vector<std::string>& rest, bool help) {
  std::vector<Command> group;
  for (const auto& c : commands)
    if (!words.empty() && c.words.front() == words.front()) group.push_back(c);
  if (help && (words.empty() || !group.empty())) {
    PrintUsage(words.empty() ? commands : group);
    return kOk;
  }
  if (rest.empty()) {
    PrintUsage(commands);
    return kUsage;
  }
  std::fprintf(stderr, "edgectl: unknown command '%s'; run edgectl --help\n",
               words.empty() ? rest[0].c_str() : words[0].c_str());
  return kUsage;
}

// The command's own options into ctx->options and its arguments into ctx->args; kUsage after
// printing what is wrong, else kOk.
int ParseCommandLine(const Command& cmd, const std::vector<std::string>& rest, Context* ctx) {
  size_t skipped = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    const std::string& a = rest[i];
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(0, a.find('='));
      auto spec = std::find_if(cmd.options.begin(), cmd.options.end(),
                               [&](auto& o) { return o.name == name; });
      if (spec == cmd.options.end()) {
        std::fprintf(stderr, "edgectl %s: unknown option '%s'; see --help\n", Words(cmd).c_str(),
                     name.c_str());
        return kUsage;
      }
      if (spec->value.empty()) {
        ctx->options[name] = "";
      } else if (a.find('=') != std::string::npos) {
        ctx->options[name] = a.substr(a.find('=') + 1);
      } else if (i + 1 < rest.size()) {
        ctx->options[name] = rest[++i];
      } else {
        std::fprintf(stderr, "edgectl %s: option '%s' needs %s\n", Words(cmd).c_str(), name.c_str(),
                     spec->value.c_str());
        return kUsage;
      }
    } else if (skipped < cmd.words.size()) {
      ++skipped;
    } else {
      ctx->args.push_back(a);
    }
  }
  if (ctx->args.size() < cmd.min_args || ctx->args.size() > cmd.max_args) {
    std::fprintf(stderr, "edgectl %s: expected %s; see --help\n", Words(cmd).c_str(),
                 cmd.positional.empty() ? "no arguments" : cmd.positional.c_str());
    return kUsage;
  }
  return kOk;
}

}  // namespace

int Main(int argc, char** argv) {
  log::InitFromEnvironment();
  log::SetLevel(log::Level::kWarning);
  std::vector<Command> commands = AllCommands();
  Context ctx;
  bool help = false;
  std::vector<std::string> rest;
  if (int rc = ParseGlobals(argc, argv, &ctx, &help, &rest); rc != kOk) return rc;
  std::vector<std::string> words;
  for (const auto& r : rest)
    if (r.rfind("--", 0) != 0) words.push_back(r);
  const Command* cmd = FindCommand(commands, words);
  if (cmd == nullptr) return NoCommand(commands, words, rest, help);
  if (help) {
    PrintCommandHelp(*cmd);
    return kOk;
  }
  if (int rc = ParseCommandLine(*cmd, rest, &ctx); rc != kOk) return rc;
  return cmd->run(ctx);
}

}  // namespace edgesec::cli

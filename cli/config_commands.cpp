// edgectl config check | show | apply | import (DESIGN.md, "Configuration"). Reading, checking
// and the generated files are config/super's; this file is the thin outer layer: files, owners,
// reloads (the diff of --dry-run is config_diff.cpp's, the systemd jobs config_systemd.cpp's,
// import config_import.cpp's).
#include "cli/config_commands.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "cli/cli.hpp"
#include "common/fs.hpp"
#include "common/reload_ack.hpp"
#include "config/super/super.hpp"

namespace edgesec::cli {
namespace {

namespace super = config::super;

const char* const kServices[] = {"keyd", "certd", "identityd"};

std::string ConfigPath(const Context& ctx) {
  return ctx.Option("--config", ctx.layout.etc() + "/config.toml");
}

constexpr const char* kKeydDropIn = "keyd-dropin";
constexpr const char* kKeydDropInPath =
    "/etc/systemd/system/edgesec-keyd.service.d/50-edgesec-pkcs11.conf";

// identityd's user may reload the on_change_units (polkit reads /etc/polkit-1/rules.d).
constexpr const char* kHooksRule = "hooks-polkit-rule";

// A file for the system (systemd, polkit): root's, 0644, no service reloads for it.
bool SystemFile(const std::string& name) {
  return name == kKeydDropIn || name == kHooksRule;
}

std::string TargetPath(const Context& ctx, const std::string& svc) {
  if (svc == kKeydDropIn) return kKeydDropInPath;
  if (svc == kHooksRule) return ctx.layout.root + "/etc/polkit-1/rules.d/50-edgesec-hooks.rules";
  return ctx.layout.ServiceConfigDir(svc) + "/00-super.toml";
}

std::string ServiceUser(const std::string& svc) {
  return svc == "keyd" ? "edgeks" : svc == "certd" ? "edgecs" : "edgeid";
}

struct Checked {
  std::optional<super::ReadResult> read;
  std::vector<std::string> errors;
};

// Reads and cross-checks the super config; a missing file is the embedded defaults under --root.
Checked Check(const Context& ctx) {
  Checked out;
  std::string path = ConfigPath(ctx);
  if (!fs::Exists(path) && !ctx.Has("--config")) {
    // A fresh install: the embedded defaults, plus what the services need of each other.
    out.read = super::ReadResult{};
    out.read->warnings.push_back(path +
                                 ": no such file; using the defaults (quickstart Edge CA, "
                                 "file keys); see the reference config.toml");
    return out;
  }
  auto read = super::LoadSuperConfig(path);
  if (!read) {
    out.errors.push_back(read.error().kind == ErrorKind::kNotFound
                             ? path + ": no such file; write it (see config/examples/config.toml)"
                             : read.error().message);
    return out;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    read->warnings.push_back(path + ": mode " + [&] {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04o", st.st_mode & 07777);
      return std::string(buf);
    }() + " lets other users read it, and it may hold secrets; chmod 0600 it");
  super::CheckOptions options;
  options.rooted = ctx.layout.is_rooted();
  out.errors = super::CrossCheck(read->config, options);
  out.read = std::move(*read);
  return out;
}

void PrintFindings(const Context& ctx, const Checked& c, const std::string& ok_text) {
  Json j{{"valid", c.errors.empty()},
         {"warnings", c.read ? c.read->warnings : std::vector<std::string>{}},
         {"errors", c.errors}};
  std::string text;
  if (c.read)
    for (const auto& w : c.read->warnings) text += "warning: " + w + "\n";
  for (const auto& e : c.errors) text += "error: " + e + "\n";
  if (c.errors.empty()) text += ok_text;
  if (ctx.json) return ctx.Print(j, "");
  std::fputs(text.c_str(), c.errors.empty() ? stdout : stderr);
}

int ConfigCheck(Context& ctx) {
  Checked c = Check(ctx);
  PrintFindings(ctx, c, ConfigPath(ctx) + ": valid\n");
  return c.errors.empty() ? kOk : kFailure;
}

int ConfigShow(Context& ctx) {
  std::string path = ConfigPath(ctx);
  auto text = fs::ReadFile(path);
  if (!text) return Fail("cannot read '" + path + "': " + text.error().Describe());
  auto shown = super::ShowSuperConfig(*text, path, ctx.json);
  if (!shown) return Fail(shown.error().message);
  std::fputs(shown->c_str(), stdout);
  return kOk;
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// Writes every changed file next to its target, then renames them all (and removes a drop-in no
// longer needed): a failure before the renames leaves every old file in place.
Status WriteAll(const Context& ctx, const std::map<std::string, std::string>& changed) {
  std::vector<std::pair<std::string, std::string>> staged;  // temp → target
  std::vector<std::string> removed;
  auto discard = [&] {
    for (const auto& [tmp, target] : staged) ::unlink(tmp.c_str());
  };
  for (const auto& [name, text] : changed) {
    std::string target = TargetPath(ctx, name), tmp = target + ".edgesec-new";
    if (text.empty()) {  // only a system file is ever empty: none is needed
      removed.push_back(target);
      continue;
    }
    bool dropin = SystemFile(name);
    if (Status st = fs::MakeDirs(fs::DirName(target), 0755); !st) {
      discard();
      return st.error();
    }
    if (Status st = fs::AtomicWriteFile(tmp, text, dropin ? 0644 : 0600); !st) {
      discard();
      return st.error();
    }
    staged.emplace_back(tmp, target);
    if (!ctx.layout.is_rooted() && !dropin) {
      struct passwd pw {};
      struct passwd* found = nullptr;
      char buf[4096];
      std::string user = ServiceUser(name);
      if (::getpwnam_r(user.c_str(), &pw, buf, sizeof buf, &found) != 0 || found == nullptr ||
          ::chown(tmp.c_str(), pw.pw_uid, pw.pw_gid) != 0) {
        discard();
        return MakeError(ErrorKind::kIo, "cannot give '" + target + "' to user '" + user +
                                             "' (is the edgesec package installed?)");
      }
    }
  }
  for (const auto& [tmp, target] : staged) {
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
      Error e = IoError("cannot rename '" + tmp + "' to '" + target + "'", errno);
      discard();
      return e;
    }
    (void)fs::FsyncDirectoryOf(target);
  }
  for (const auto& target : removed) EDGESEC_TRY(fs::RemoveFile(target));
  return {};
}

// SIGHUP to the daemons `edgectl up --root DIR` started (their pid files), when running.
std::vector<std::string> SignalDaemons(const Context& ctx, const std::vector<std::string>& svcs) {
  std::vector<std::string> signalled;
  for (const auto& svc : svcs) {
    auto text = fs::ReadFile(ctx.layout.run() + "/" + svc + ".pid", 64);
    pid_t pid = text ? static_cast<pid_t>(std::atol(text->c_str())) : 0;
    if (pid <= 0 || ::kill(pid, 0) != 0) continue;
    auto cmdline = fs::ReadFile("/proc/" + std::to_string(pid) + "/cmdline", 65536);
    if (!cmdline || cmdline->find("edgesec-" + svc) == std::string::npos) continue;  // recycled
    if (::kill(pid, SIGHUP) == 0) signalled.push_back(svc);
  }
  return signalled;
}

// Asks the services to read their new files — SIGHUP to the daemons of `edgectl up` under --root,
// systemd's jobs otherwise (EDGESEC_TEST_SYSTEMD=1 makes a test take that path under --root, its
// bus from DBUS_SYSTEM_BUS_ADDRESS) — and waits until each confirms it did (common/reload_ack):
// a SIGHUP returns before the reload, and a daemon that refuses its new file keeps running.
Status ReloadServices(const Context& ctx, const std::vector<std::string>& svcs, bool sandbox,
                      std::string* text) {
  std::map<std::string, std::string> acks;
  for (const auto& s : svcs) acks[s] = ReadReloadAck(ctx.layout, s);
  std::vector<std::string> waits;
  const char* test_systemd = std::getenv("EDGESEC_TEST_SYSTEMD");
  if (ctx.layout.is_rooted() && !(test_systemd && std::string(test_systemd) == "1")) {
    for (const auto& s : SignalDaemons(ctx, svcs)) {
      *text += "reloaded edgesec-" + s + " (SIGHUP)\n";
      if (!acks[s].empty()) waits.push_back(s);  // an edgesec daemon: it confirms
    }
  } else {
    // A changed sandbox takes a daemon-reload and a restart; a changed config a reload.
    SystemdPlan plan;
    plan.daemon_reload = sandbox;
    if (sandbox) plan.restart.push_back("edgesec-keyd.service");
    for (const auto& s : svcs)
      if (!(sandbox && s == "keyd")) plan.reload_or_restart.push_back("edgesec-" + s + ".service");
    EDGESEC_TRY(RunSystemdPlan(plan));
    for (const auto& u : plan.restart) *text += "restarted " + u + "\n";
    for (const auto& u : plan.reload_or_restart) *text += "reloaded " + u + "\n";
    for (const auto& s : svcs)  // one that never ran has no file yet: started, it read the new one
      if (!acks[s].empty()) waits.push_back(s);
  }
  for (const auto& s : waits) {
    EDGESEC_ASSIGN_OR_RETURN(std::string ack,
                             WaitReloadAck(ctx.layout, s, acks[s], std::chrono::seconds(30)));
    if (auto at = ack.find(" failed: "); at != std::string::npos)
      return MakeError(ErrorKind::kConfig, "edgesec-" + s + " refused its new configuration: " +
                                               ack.substr(at + 9, ack.size() - at - 10));
  }
  return {};
}

// Any failure leaves the old configuration: puts the files back and asks the services again. A
// service with no file before (a first apply) gets the defaults' file, not none: without it the
// services lack the principals they need for each other (issue 11, trap 1).
int Rollback(const Context& ctx, const super::ApplyOptions& options,
             std::map<std::string, std::string> previous, const std::vector<std::string>& svcs,
             bool sandbox, const Error& why) {
  super::ApplyOptions d = options;
  d.source_path = "the defaults (restored after a failed first apply of " + ConfigPath(ctx) + ")";
  super::Generated defaults = super::Apply(super::SuperConfig{}, d);
  bool first = false;
  for (auto& [name, text] : previous)
    if (text.empty() && !SystemFile(name)) {
      text = name == "keyd" ? defaults.keyd : name == "certd" ? defaults.certd : defaults.identityd;
      first = true;
    }
  Status restored = WriteAll(ctx, previous);
  std::string ignored;
  if (restored) (void)ReloadServices(ctx, svcs, sandbox, &ignored);
  return Fail(why.message +
              (!restored
                   ? "; restoring the previous files failed too: " + restored.error().Describe()
               : first ? "; the previous configuration files were restored, and a service that "
                         "had none got the defaults' (quickstart Edge CA, file keys)"
                       : "; the previous configuration files were restored"));
}

int ConfigApply(Context& ctx) {
  Checked c = Check(ctx);
  if (!c.errors.empty() || !c.read) {
    PrintFindings(ctx, c, "");
    std::fprintf(stderr, "edgectl: nothing applied; the running configuration is unchanged\n");
    return kFailure;
  }
  for (const auto& w : c.read->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  super::ApplyOptions options;
  options.rooted = ctx.layout.is_rooted();
  options.os_hostname = HostName();
  options.source_path = fs::Exists(ConfigPath(ctx))
                            ? ConfigPath(ctx)
                            : "the defaults (" + ConfigPath(ctx) + " does not exist)";
  super::Generated g = super::Apply(c.read->config, options);
  std::vector<std::pair<std::string, std::string>> generated = {
      {"keyd", g.keyd}, {"certd", g.certd}, {"identityd", g.identityd}};
  if (!ctx.layout.is_rooted()) generated.emplace_back(kKeydDropIn, g.keyd_dropin);
  generated.emplace_back(kHooksRule, g.hooks_polkit);
  std::map<std::string, std::string> changed, previous;  // name → new / old text ("" = absent)
  std::vector<std::string> names;                        // in generated's order
  std::string diff;
  for (const auto& [name, text] : generated) {
    std::string path = TargetPath(ctx, name);
    auto old = fs::ReadFile(path);
    std::string old_text = old ? *old : std::string();
    if (!old && old.error().kind != ErrorKind::kNotFound)
      return Fail("cannot read '" + path + "': " + old.error().Describe());
    if (old_text == text) continue;
    changed[name] = text;
    previous[name] = old_text;
    names.push_back(name);
    diff += UnifiedDiff(super::Redact(old_text), super::Redact(text), path, old.has_value());
  }
  if (ctx.Has("--dry-run")) {
    ctx.Print(Json{{"changed", names}, {"diff", diff}}, changed.empty() ? "no changes" : diff);
    return kOk;
  }
  if (changed.empty()) {
    ctx.Print(Json{{"changed", names}}, "no changes; nothing written or reloaded");
    return kOk;
  }
  std::string before = changed.count("certd") || changed.count("keyd")
                           ? ServedEdgeCaFingerprint(ctx.layout)
                           : std::string();
  if (Status st = WriteAll(ctx, changed); !st)
    return Fail(st.error().Describe() + "; the old configuration files are left in place");
  std::string text;
  for (const auto& n : names)
    text += (changed[n].empty() ? "removed " : "wrote ") + TargetPath(ctx, n) + "\n";
  std::vector<std::string> svcs;
  for (const char* svc : kServices)
    if (changed.count(svc)) svcs.push_back(svc);
  bool sandbox = changed.count(kKeydDropIn) != 0;
  if (Status st = ReloadServices(ctx, svcs, sandbox, &text); !st)
    return Rollback(ctx, options, previous, svcs, sandbox, st.error());
  AuditConfigApply(ctx, ConfigPath(ctx));
  if (changed.count("certd") || changed.count("keyd")) {
    auto settled = SettleEdgeCa(ctx.layout, c.read->config, before);
    if (!settled) {
      std::fputs(text.c_str(), stdout);
      return Fail("the new configuration is in place, but " + settled.error().message);
    }
    text += *settled;
  }
  ctx.Print(Json{{"changed", names}}, text);
  return kOk;
}

}  // namespace

std::vector<Command> ConfigCommands() {
  const OptionSpec config{"--config", "FILE", "the super config (default <etc>/config.toml)"};
  return {
      {{"config", "check"},
       "",
       0,
       0,
       "validate the super config: errors and warnings with file:line:col (exit 1 on errors)",
       {config},
       &ConfigCheck},
      {{"config", "show"},
       "",
       0,
       0,
       "print the super config as edgesec reads it, secrets redacted",
       {config},
       &ConfigShow},
      {{"config", "apply"},
       "",
       0,
       0,
       "write the services' config.d/00-super.toml and reload those that changed",
       {config, {"--dry-run", "", "print the diff (secrets redacted) and change nothing"}},
       &ConfigApply},
      {{"config", "import"},
       "<config.yaml>",
       1,
       1,
       "convert an IoT Edge 1.1 config.yaml into a commented config.toml (stdout or --out)",
       {{"--out", "FILE", "write it to FILE atomically, mode 0600 (refused if FILE exists)"},
        {"--force", "", "with --out: replace an existing FILE"}},
       &ConfigImport},
  };
}

}  // namespace edgesec::cli

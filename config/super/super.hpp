#pragma once
// The super config: reading (table-driven, file:line:col errors, did-you-mean for unknown keys,
// warnings for what only the peer's cloud/container runtime uses), the cross-checks against the
// system, and the pure Apply() to the three per-service configs.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/super/model.hpp"

namespace edgesec::config::super {

struct ReadResult {
  SuperConfig config;
  // "file:line:col: 'dotted.key': message", in file order.
  std::vector<std::string> warnings;
};

// kConfig "file:line:col: 'dotted.key': what to change" on the first error.
Expected<ReadResult> ReadSuperConfig(std::string_view text, const std::string& path);
// Reads `path` (kNotFound when missing) and parses it.
Expected<ReadResult> LoadSuperConfig(const std::string& path);

struct CheckOptions {
  // Under --root everything runs as the invoking user: files need only be readable by it, and the
  // service users are not looked up.
  bool rooted = false;
  // SoftHSM2's files usable by keyd's user (SofthsmAccessProblems); `edgectl check` reports those
  // in its token family, with the command that fixes them, and turns this off.
  bool softhsm_access = true;
  std::string keyd_user = "edgeks", certd_user = "edgecs", identityd_user = "edgeid";
};
// Checks against the system (files exist and are readable by the service user that reads them,
// principals resolve); every problem, "position: 'key': what to change".
std::vector<std::string> CrossCheck(const SuperConfig& config, const CheckOptions& options);
// SoftHSM2 (a lib_path naming softhsm) under keyd's `user`: its config ($SOFTHSM2_CONF, else
// /etc/softhsm/softhsm2.conf) readable, its directories.tokendir and everything in it readable and
// writable; each problem with the command that fixes it. Empty for another module, root or a
// user that does not exist.
std::vector<std::string> SofthsmAccessProblems(const std::string& lib_path,
                                               const std::string& user);
// Each pkcs11: URI ({what, uri}) that names a token matches an initialized token of the module at
// `lib_path` (token_checks.cpp); a problem names the key and the tokens that exist. Empty when the
// module cannot be loaded (keyd says why at start).
std::vector<std::string> Pkcs11SlotProblems(
    const std::string& lib_path, const std::vector<std::pair<std::string, std::string>>& uris);

struct ApplyOptions {
  bool rooted = false;      // no service users: omit the [[principal]] entries between the services
  std::string os_hostname;  // used when the config has no `hostname`
  std::string source_path = "/etc/edgesec/config.toml";  // named in each generated file's header
  std::string keyd_user = "edgeks", certd_user = "edgecs", identityd_user = "edgeid";
};
struct Generated {
  std::string keyd, certd, identityd;  // the config.d/00-super.toml of each service
  // A systemd drop-in for edgesec-keyd.service (ReadWritePaths= for a PKCS#11 module that writes
  // state); empty when none is needed.
  std::string keyd_dropin;
  std::string hooks_polkit;  // HooksPolkitRule(); empty when no unit is named
};
// Pure and deterministic: the same config and options give the same bytes.
Generated Apply(const SuperConfig& config, const ApplyOptions& options);

// The text with secrets (password = "…", owner_auth, pin-value=… in URIs) replaced by "<redacted>".
std::string Redact(std::string_view text);
// What the config means, one line per part ("Edge CA: quickstart, self-signed, 90 days, …").
std::vector<std::string> Summary(const SuperConfig& config);
// The config as TOML (or JSON) without the peer-only keys, secrets redacted, preceded by its
// Summary(); kConfig when the config is not valid.
Expected<std::string> ShowSuperConfig(std::string_view text, const std::string& path, bool json);

// The units of `[edge_ca] on_change_units` (empty for none, or for an `on_change` command).
std::vector<std::string> HookUnits(const SuperConfig& config);
// The polkit rule that lets `user` (identityd's) reload-or-restart exactly those units; empty
// when there are none. config apply writes it to /etc/polkit-1/rules.d/50-edgesec-hooks.rules.
std::string HooksPolkitRule(const SuperConfig& config, const std::string& user);

}  // namespace edgesec::config::super

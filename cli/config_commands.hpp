#pragma once
// edgectl config …: the side effects of `config apply` (the pure part is config/super), exposed for
// tests.

#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/paths.hpp"
#include "config/super/model.hpp"

namespace edgesec::cli {

struct Context;

// edgectl config import FILE.yaml [--out FILE [--force]] (config_import.cpp).
int ConfigImport(Context& ctx);

// A unified diff of two texts, 3 lines of context; empty when equal. Headed `--- label` /
// `+++ label (after apply)` when the file exists, `--- /dev/null` / `+++ label (new)` when not.
std::string UnifiedDiff(const std::string& old_text, const std::string& new_text,
                        const std::string& label, bool old_exists);

// Asks systemd (org.freedesktop.systemd1 on the system bus; DBUS_SYSTEM_BUS_ADDRESS is honoured)
// to ReloadOrRestartUnit each unit ("replace" mode) and waits for every job's JobRemoved; the error
// names each unit whose job did not end "done", or the bus failure.
Status ReloadOrRestartUnits(const std::vector<std::string>& units, int timeout_seconds = 90);

// What `config apply` asks of systemd: a daemon-reload (Manager.Reload) first when a unit drop-in
// changed, then RestartUnit for the units whose sandbox changed and ReloadOrRestartUnit for the
// others, waiting for every job.
struct SystemdPlan {
  bool daemon_reload = false;
  std::vector<std::string> restart, reload_or_restart;
};
Status RunSystemdPlan(const SystemdPlan& plan, int timeout_seconds = 90);

// The SHA-256 fingerprint of the Edge CA certd serves; "" when certd cannot be asked.
std::string ServedEdgeCaFingerprint(const Layout& layout);
// After the services read a new config: makes the served Edge CA follow the config's source (a
// stored cert of an earlier source is deleted or renewed away) and proves it issues. The lines to
// print ("" when nothing changed or certd is not running); an error when it cannot be made so.
Expected<std::string> SettleEdgeCa(const Layout& layout, const config::super::SuperConfig& config,
                                   const std::string& before);

}  // namespace edgesec::cli

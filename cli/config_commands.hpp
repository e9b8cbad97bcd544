#pragma once
// edgectl config …: the side effects of `config apply` (the pure part is config/super), exposed for
// tests.

#include <string>
#include <vector>

#include "common/error.hpp"

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

}  // namespace edgesec::cli

#pragma once
// The acknowledgement a daemon writes once it has read its configuration: at start and after
// every SIGHUP, DIR/var/lib/edgesec/<service>/reloaded holds "<pid> <generation> ok" or
// "<pid> <generation> failed: <why>". A SIGHUP (and systemd's ExecReload=kill -HUP) returns before
// the daemon has reloaded; `edgectl config apply` waits for this file to change instead, so that
// what it does next (the Edge CA's new source) sees the new configuration, and a failed reload is
// reported rather than silent.

#include <chrono>
#include <string>

#include "common/error.hpp"
#include "common/paths.hpp"

namespace edgesec {

std::string ReloadAckPath(const Layout& layout, const std::string& service);
// Written atomically; a failure to write is logged, never fatal.
void WriteReloadAck(const Layout& layout, const std::string& service, unsigned generation,
                    const Status& result);
// The file's content; "" when absent or unreadable.
std::string ReadReloadAck(const Layout& layout, const std::string& service);
// Waits until the content differs from `before`: the new content, or kUnavailable after `timeout`.
Expected<std::string> WaitReloadAck(const Layout& layout, const std::string& service,
                                    const std::string& before, std::chrono::milliseconds timeout);

}  // namespace edgesec

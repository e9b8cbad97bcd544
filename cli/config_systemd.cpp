// `edgectl config apply` outside --root: the reload-or-restart jobs on systemd's D-Bus API.
#include <systemd/sd-bus.h>

#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/config_commands.hpp"

namespace edgesec::cli {

Status ReloadOrRestartUnits(const std::vector<std::string>& units, int timeout_seconds) {
  return RunSystemdPlan(SystemdPlan{false, {}, units}, timeout_seconds);
}

Status RunSystemdPlan(const SystemdPlan& plan, int timeout_seconds) {
  sd_bus* bus = nullptr;
  int r = sd_bus_open_system(&bus);
  if (r < 0) return IoError("cannot connect to the system bus to reload the services", -r);
  struct Wait {
    std::set<std::string> jobs;                  // job object paths still running
    std::map<std::string, std::string> results;  // unit → result
  } wait;
  auto cleanup = [&] { sd_bus_flush_close_unref(bus); };
  sd_bus_slot* slot = nullptr;
  r = sd_bus_match_signal(
      bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
      "org.freedesktop.systemd1.Manager", "JobRemoved",
      [](sd_bus_message* m, void* userdata, sd_bus_error*) -> int {
        auto* w = static_cast<Wait*>(userdata);
        uint32_t id = 0;
        const char *path = nullptr, *unit = nullptr, *result = nullptr;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
        if (w->jobs.erase(path)) w->results[unit] = result;
        return 0;
      },
      &wait);
  if (r < 0) {
    cleanup();
    return IoError("cannot watch systemd's jobs on the system bus", -r);
  }
  // systemd sends job signals only to subscribed clients; an error here is not fatal.
  (void)sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "Subscribe", nullptr, nullptr, "");
  std::string failures;
  std::set<std::string> failed_units;
  if (plan.daemon_reload) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "Reload", &error, nullptr, "");
    if (r < 0) {
      std::string why = error.message ? error.message : std::strerror(-r);
      sd_bus_error_free(&error);
      sd_bus_slot_unref(slot);
      cleanup();
      return MakeError(ErrorKind::kIo, "systemd daemon-reload failed: " + why);
    }
  }
  std::vector<std::pair<std::string, const char*>> calls;
  for (const auto& u : plan.restart) calls.emplace_back(u, "RestartUnit");
  for (const auto& u : plan.reload_or_restart) calls.emplace_back(u, "ReloadOrRestartUnit");
  for (const auto& [unit, method] : calls) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", method, &error, &reply, "ss",
                           unit.c_str(), "replace");
    if (r < 0) {
      failures += "; " + unit + ": " + (error.message ? error.message : std::strerror(-r));
      failed_units.insert(unit);
    } else {
      const char* job = nullptr;
      if (sd_bus_message_read(reply, "o", &job) >= 0 && job) wait.jobs.insert(job);
    }
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (!wait.jobs.empty() && std::chrono::steady_clock::now() < deadline) {
    r = sd_bus_process(bus, nullptr);
    if (r < 0) break;
    if (r == 0) (void)sd_bus_wait(bus, 1000000);
  }
  for (const auto& [unit, result] : wait.results)
    if (result != "done") {
      failures += "; " + unit + ": job " + result;
      failed_units.insert(unit);
    }
  if (!wait.jobs.empty()) {
    failures += "; timed out waiting for systemd's jobs";
    for (const auto& [unit, method] : calls)
      if (!wait.results.count(unit)) failed_units.insert(unit);
  }
  sd_bus_slot_unref(slot);
  cleanup();
  if (failures.empty()) return {};
  std::string journal = "journalctl";
  for (const auto& u : failed_units) journal += " -u " + u;
  if (failed_units.empty()) journal += " -u 'edgesec-*'";
  return MakeError(ErrorKind::kIo,
                   "reloading the services failed" + failures + " (see `" + journal + "`)");
}

}  // namespace edgesec::cli

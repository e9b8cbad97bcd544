// The units `on_change_units` names (identityd's Edge CA hook: systemctl reload-or-restart
// --no-block UNIT…) are known to systemd: LoadUnit over the system bus, then the unit's
// LoadState ("not-found": the hook would fail at each Edge CA change). Without a system bus (a
// container without systemd, a test root) the check is a skip, not a failure.
#include <systemd/sd-bus.h>

#include <cstdlib>
#include <cstring>

#include "cli/check/check.hpp"
#include "config/identityd/config.hpp"

namespace edgesec::cli::check {
namespace {

// "" when systemd knows the unit, else why not.
std::string UnitProblem(sd_bus* bus, const std::string& unit) {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                             "org.freedesktop.systemd1.Manager", "LoadUnit", &error, &reply, "s",
                             unit.c_str());
  std::string why;
  const char* path = nullptr;
  if (r < 0)
    why = error.message ? error.message : std::strerror(-r);
  else if (sd_bus_message_read(reply, "o", &path) < 0 || path == nullptr)
    why = "systemd's answer to LoadUnit names no unit";
  sd_bus_error_free(&error);
  char* state = nullptr;
  if (why.empty()) {
    r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                   "org.freedesktop.systemd1.Unit", "LoadState", &error, &state);
    if (r < 0)
      why = std::string("its LoadState cannot be read: ") +
            (error.message ? error.message : std::strerror(-r));
    else if (std::string(state) != "loaded")
      why = std::string("systemd cannot load it (LoadState ") + state + ")";
    sd_bus_error_free(&error);
    ::free(state);
  }
  sd_bus_message_unref(reply);
  return why;
}

}  // namespace

void CheckUnits(Env& env, Report& report) {
  auto config = identityd::LoadIdentitydConfig(env.layout);
  if (!config) return;
  const auto& argv = config->edge_ca_on_change;
  const std::string tool = "systemctl";
  if (argv.size() < 3 || argv[0].size() < tool.size() ||
      argv[0].compare(argv[0].size() - tool.size(), tool.size(), tool) != 0 ||
      argv[1] != "reload-or-restart")
    return;  // no on_change_units
  std::vector<std::string> units;
  for (size_t i = 2; i < argv.size(); ++i)
    if (!argv[i].empty() && argv[i][0] != '-') units.push_back(argv[i]);
  sd_bus* bus = nullptr;
  if (int r = sd_bus_open_system(&bus); r < 0) {
    report.Skip("units", "no system bus (" + std::string(std::strerror(-r)) +
                             "): the units of on_change_units are not checked");
    return;
  }
  for (const auto& unit : units) {
    std::string why = UnitProblem(bus, unit);
    if (why.empty()) {
      report.Pass("unit:" + unit, "systemd knows '" + unit + "' (on_change_units)");
      continue;
    }
    report.Warn("unit:" + unit,
                "'" + unit + "' of on_change_units cannot be reloaded when the Edge CA changes: " +
                    why,
                "install the unit, or remove it from [edge_ca] on_change_units in config.toml: "
                "edgectl config apply");
  }
  sd_bus_flush_close_unref(bus);
}

}  // namespace edgesec::cli::check

#!/usr/bin/python3
# A test double of org.freedesktop.systemd1 on the bus at $DBUS_SYSTEM_BUS_ADDRESS: Manager.Subscribe,
# Manager.LoadUnit (a unit object whose LoadState is "not-found" for "missing.service", else "loaded"),
# Manager.Reload, Manager.RestartUnit and Manager.ReloadOrRestartUnit (a job whose JobRemoved comes 50 ms later, result "failed" for the units
# in $FAKE_SYSTEMD_FAIL, else "done"; "missing.service" is NoSuchUnit). Every call is appended to the
# log file (argv[1]) as one line; "ready" once the name is owned.
import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
log = open(sys.argv[1], "a", buffering=1)
failing = set(filter(None, os.environ.get("FAKE_SYSTEMD_FAIL", "").split(",")))
IFACE = "org.freedesktop.systemd1.Manager"


class Manager(dbus.service.Object):
    def __init__(self):
        super().__init__(bus, "/org/freedesktop/systemd1")
        self.jobs = 0

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Subscribe(self):
        log.write("Subscribe\n")

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Reload(self):
        log.write("Reload\n")

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def RestartUnit(self, unit, mode):
        log.write("RestartUnit %s %s\n" % (unit, mode))
        return self.job(unit)

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def ReloadOrRestartUnit(self, unit, mode):
        log.write("ReloadOrRestartUnit %s %s\n" % (unit, mode))
        return self.job(unit)

    @dbus.service.method(IFACE, in_signature="s", out_signature="o")
    def LoadUnit(self, unit):
        log.write("LoadUnit %s\n" % unit)
        path = "/org/freedesktop/systemd1/unit/" + "".join(c if c.isalnum() else "_" for c in unit)
        if path not in units:
            units[path] = Unit(path, "not-found" if unit == "missing.service" else "loaded")
        return dbus.ObjectPath(path)

    def job(self, unit):
        if unit == "missing.service":
            raise dbus.exceptions.DBusException(
                "Unit missing.service not found.", name="org.freedesktop.systemd1.NoSuchUnit")
        self.jobs += 1
        job = dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % self.jobs)
        result = "failed" if unit in failing else "done"

        def finish(jid=self.jobs, job=job, unit=unit, result=result):
            self.JobRemoved(dbus.UInt32(jid), job, unit, result)
            return False

        GLib.timeout_add(50, finish)
        return job

    @dbus.service.signal(IFACE, signature="uoss")
    def JobRemoved(self, jid, job, unit, result):
        pass


class Unit(dbus.service.Object):
    def __init__(self, path, load_state):
        super().__init__(bus, path)
        self.load_state = load_state

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v")
    def Get(self, iface, prop):
        if prop != "LoadState":
            raise dbus.exceptions.DBusException("no property " + prop)
        return self.load_state


units = {}
name = dbus.service.BusName("org.freedesktop.systemd1", bus)
manager = Manager()
log.write("ready\n")
GLib.MainLoop().run()

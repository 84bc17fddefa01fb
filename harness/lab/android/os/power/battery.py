"""``dumpsys battery`` / ``cmd battery``: BatteryService (aosp-mirror ``services/core/java/com/android/server/
BatteryService.java`` @00d1a384e8db, "BAT" in the reference).

``hal`` is what the health HAL reports (a lab phone sits on USB power: adb goes over Wi-Fi in the rack, the cable
only charges). ``info`` is what the service publishes: equal to ``hal`` until ``unplug``/``set`` freeze it
("UPDATES STOPPED"), and ``reset`` copies ``hal`` back. Successful verbs print nothing; ``-f`` forces a
broadcast and prints the new sequence number. ``unplug`` only clears the charger flags: ``status`` stays
whatever the HAL said (2, charging), as on real phones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lab.android.os.power._shell import JavaException, ShellCommand, java_bool, parse_int
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["BatteryService", "HealthInfo"]

STATUS_UNKNOWN, STATUS_CHARGING, STATUS_DISCHARGING, STATUS_NOT_CHARGING, STATUS_FULL = 1, 2, 3, 4, 5
PLUGGED_AC, PLUGGED_USB, PLUGGED_WIRELESS, PLUGGED_DOCK = 1, 2, 4, 8
LOW_BATTERY_WARNING_LEVEL = 15  # config_lowBatteryWarningLevel, as the PowerModel contract states it
LOW_BATTERY_CLOSE_WARNING_BUMP = 5  # config_lowBatteryCloseWarningBump

HELP = """Battery service (battery) commands:
  help
    Print this help text.
  get [-f] [ac|usb|wireless|dock|status|level|temp|present|counter|invalid]
  set [-f] [ac|usb|wireless|dock|status|level|temp|present|counter|invalid] <value>
    Force a battery property value, freezing battery state.
    -f: force a battery change broadcast be sent, prints new sequence.
  unplug [-f]
    Force battery unplugged, freezing battery state.
    -f: force a battery change broadcast be sent, prints new sequence.
  reset [-f]
    Unfreeze battery state, returning to current hardware values.
    -f: force a battery change broadcast be sent, prints new sequence.
"""


@dataclass
class HealthInfo:
    """The android.hardware.health HealthInfo fields BatteryService prints or compares."""

    ac: bool = False
    usb: bool = True
    wireless: bool = False
    dock: bool = False
    max_charging_current: int = 500_000  # µA: a USB port
    max_charging_voltage: int = 5_000_000  # µV
    charge_counter: int = 3_600_000  # µAh
    status: int = STATUS_CHARGING
    health: int = 2  # BATTERY_HEALTH_GOOD
    present: bool = True
    level: int = 80
    voltage: int = 4_123  # mV
    temperature: int = 250  # tenths of °C
    technology: str = "Li-ion"
    charging_state: int = 1  # BatteryChargingState.NORMAL
    charging_policy: int = 1  # BatteryChargingPolicy.DEFAULT

    def plug_type(self) -> int:
        """``plugType()``: the first online charger in AC, USB, wireless, dock order, or 0."""
        for online, kind in ((self.ac, PLUGGED_AC), (self.usb, PLUGGED_USB), (self.wireless, PLUGGED_WIRELESS),
                             (self.dock, PLUGGED_DOCK)):
            if online:
                return kind
        return 0


# `get`/`set` keys → HealthInfo fields. "invalid" lives on the service (mInvalidCharger).
_KEYS = {"present": "present", "ac": "ac", "usb": "usb", "wireless": "wireless", "dock": "dock",
         "status": "status", "level": "level", "counter": "charge_counter", "temp": "temperature"}
_BOOL_KEYS = {"present", "ac", "usb", "wireless", "dock"}


class BatteryService:
    def __init__(self, dev: AndroidDevice, on_broadcast: Callable[[BatteryService], None]) -> None:
        self.dev = dev
        self._on_broadcast = on_broadcast  # ACTION_BATTERY_CHANGED went out
        self.hal = HealthInfo()
        self.boot()

    def boot(self) -> None:
        self.info = dataclasses.replace(self.hal)
        self.updates_stopped = False
        self.invalid_charger = 0
        self.sequence = 1
        self.level_low = False
        self._last: tuple[object, ...] | None = None
        self.process_values(force=False)

    # -- what the rest of the model reads --------------------------------------------------------------
    def plugged(self) -> bool:
        return self.info.plug_type() != 0

    def powered_for_doze(self) -> bool:
        """DeviceIdleController's charging: ``present && plugged != 0`` from ACTION_BATTERY_CHANGED."""
        return self.info.present and self.plugged()

    def set_hal(self, **changes: object) -> None:
        """The hardware changed (a scenario pulls the cable, the level drops): frozen values stay frozen."""
        self.hal = dataclasses.replace(self.hal, **changes)  # type: ignore[arg-type]
        if not self.updates_stopped:
            self.info = dataclasses.replace(self.hal)
            self.process_values(force=False)

    # -- processValuesLocked ----------------------------------------------------------------------------
    def _snapshot(self) -> tuple[object, ...]:
        i = self.info
        return (i.status, i.health, i.present, i.level, i.plug_type(), i.voltage, i.temperature,
                i.max_charging_current, i.max_charging_voltage, i.charge_counter, self.invalid_charger,
                i.charging_state)

    def process_values(self, *, force: bool) -> bool:
        """Log, bump the sequence and broadcast when something changed (or when forced)."""
        snap, info, plug = self._snapshot(), self.info, self.info.plug_type()
        last = self._last
        if not force and snap == last:
            return False
        if last is None or (info.status, info.health, info.present, plug) != (last[0], last[1], last[2], last[4]):
            self.dev.event("battery_status", info.status, info.health, int(info.present), plug, info.technology)
        if last is None or info.level != last[3]:
            self.dev.event("battery_level", info.level, info.voltage, info.temperature)
        self._update_level_low(plug, force)
        self.sequence += 1
        self._last = snap
        self._on_broadcast(self)
        return True

    def _update_level_low(self, plug: int, force: bool) -> None:
        level, warn = self.info.level, LOW_BATTERY_WARNING_LEVEL
        if not self.level_low:
            self.level_low = plug == 0 and self.info.status != STATUS_UNKNOWN and level <= warn
        elif plug != 0 or level >= warn + LOW_BATTERY_CLOSE_WARNING_BUMP or (force and level >= warn):
            self.level_low = False

    def _freeze(self) -> None:
        if not self.updates_stopped:
            self.info = dataclasses.replace(self.hal)  # copyV1Battery(mLastHealthInfo, mHealthInfo)
        self.updates_stopped = True

    def _finish(self, shell: ShellCommand, force: bool) -> None:
        self.process_values(force=force)
        if force:
            shell.println(str(self.sequence))

    # -- SystemService -------------------------------------------------------------------------------
    def dump(self, inv: Invocation, args: list[str]) -> int:
        if not args or args[0] == "-a":
            inv.out(self.dump_text())
        elif args[0] != "--proto":  # the proto dump is binary; the lab has none
            ShellCommand(list(args), inv.out, inv.out).run(self._on_command)
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        return ShellCommand.of(inv, args, via_dump=False).run(self._on_command)

    def dump_text(self) -> str:
        i = self.info
        lines = ["Current Battery Service state:"]
        if self.updates_stopped:
            lines.append("  (UPDATES STOPPED -- use 'reset' to restart)")
        lines += [
            f"  AC powered: {java_bool(i.ac)}", f"  USB powered: {java_bool(i.usb)}",
            f"  Wireless powered: {java_bool(i.wireless)}", f"  Dock powered: {java_bool(i.dock)}",
            f"  Max charging current: {i.max_charging_current}", f"  Max charging voltage: {i.max_charging_voltage}",
            f"  Charge counter: {i.charge_counter}", f"  status: {i.status}", f"  health: {i.health}",
            f"  present: {java_bool(i.present)}", f"  level: {i.level}", "  scale: 100",
            f"  voltage: {i.voltage}", f"  temperature: {i.temperature}", f"  technology: {i.technology}",
            f"  Charging state: {i.charging_state}", f"  Charging policy: {i.charging_policy}",
        ]
        return "".join(line + "\n" for line in lines)

    # -- onShellCommand ------------------------------------------------------------------------------------
    def _on_command(self, shell: ShellCommand, cmd: str | None) -> int:
        verbs = {"unplug": self._unplug, "get": self._get, "set": self._set, "reset": self._reset,
                 "suspend_input": self._suspend_input}
        if cmd in verbs:
            return verbs[cmd](shell)
        if cmd == "dump":
            shell.out(self.dump_text())
            return 0
        return shell.default(cmd, HELP)

    @staticmethod
    def _force_option(shell: ShellCommand) -> bool:
        force = False
        while (opt := shell.next_option()) is not None:
            force = force or opt == "-f"
        return force

    def _unplug(self, shell: ShellCommand) -> int:
        force = self._force_option(shell)
        self._freeze()
        self.info.ac = self.info.usb = self.info.wireless = self.info.dock = False
        self._finish(shell, force)
        return 0

    def _reset(self, shell: ShellCommand) -> int:
        force = self._force_option(shell)
        if self.updates_stopped:
            self.updates_stopped = False
            self.info = dataclasses.replace(self.hal)
            self._finish(shell, force)
        return 0

    def _get(self, shell: ShellCommand) -> int:
        self._force_option(shell)
        key = shell.next_arg()
        if key is None:
            shell.println("No property specified")
            return -1
        if key == "invalid":
            shell.println(str(self.invalid_charger))
        elif key in _KEYS:
            value = getattr(self.info, _KEYS[key])
            shell.println(java_bool(value) if isinstance(value, bool) else str(value))
        elif key not in ("current_now", "current_average"):  # flag-guarded keys print nothing when off
            shell.println(f"Unknown get option: {key}")
        return 0

    def _set(self, shell: ShellCommand) -> int:
        force = self._force_option(shell)
        key = shell.next_arg()
        if key is None:
            shell.println("No property specified")
            return -1
        value = shell.next_arg()
        if value is None:
            shell.println("No value specified")
            return -1
        if key not in _KEYS and key not in ("invalid", "current_now", "current_average"):
            shell.println(f"Unknown set option: {key}")
            return 0
        try:
            # current_now is flag-guarded (off: nothing to set); current_average falls through into the
            # "temp" case in BatteryService's switch, so it sets the temperature.
            number = 0 if key == "current_now" else parse_int(value)
        except JavaException:
            shell.println(f"Bad value: {value}")
            return -1
        self._freeze()
        if key == "invalid":
            self.invalid_charger = number
        elif key == "current_average":
            self.info.temperature = number
        elif key in _KEYS:
            setattr(self.info, _KEYS[key], number != 0 if key in _BOOL_KEYS else number)
        self._finish(shell, force)
        return 0

    def _suspend_input(self, shell: ShellCommand) -> int:
        if self.dev.props.get("ro.debuggable") != "1":
            raise JavaException("java.lang.SecurityException: battery suspend_input is only supported on "
                                "debuggable builds")
        return 0  # charging input suspension itself is not modelled

"""The power model on a ManualClock: Doze timings, maintenance windows, listeners, allowlists, reboots.

Every test builds its own phone and runs hours of device time in milliseconds. Times are AOSP's defaults
(DeviceIdleController of the Android 15 era): inactive_to 30 min, idle_after_inactive_to 30 min, sensing_to
4 min, locating_to 30 s, idle_to 60 min ×2 up to 6 h, idle_pending_to 5 min ×2 up to 10 min, light: 4 min after
inactive, then 5/10/15 min idle periods with 1 min (min) maintenance budgets.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.power import LabPower
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from tests import labkit

MIN = 60.0


class Phone:
    """A virtual phone on a manual clock, with a recorder of (minutes since start, what, deep, light).

    Times are kept in whole milliseconds of device time and compared as minutes through ``m()``.
    """

    def __init__(self, name: str = "pixel-8") -> None:
        cfg = labkit.test_config()
        self.clock = ManualClock()
        self.dev: AndroidDevice = build_android(cfg, cfg.device(name), clock=self.clock)
        assert isinstance(self.dev.power, LabPower)
        self.power: LabPower = self.dev.power
        self.t0 = self.clock.now()
        self.busy = False
        self.power.set_work_probe(lambda: self.busy)
        self.changes: list[tuple[float, str, str, str]] = []
        self.power.on_change(self._record)

    def _record(self, what: str) -> None:
        self.changes.append((self.minutes(), what, self.power.deep_state(), self.power.light_state()))

    def minutes(self) -> float:
        return round(self.clock.now() - self.t0, 3) / MIN

    def unplug_and_screen_off(self) -> None:
        self.power.battery.set_hal(usb=False)  # the cable is pulled, not `dumpsys battery unplug`
        self.power.screen_on = False

    def deep_times(self, state: str) -> list[float]:
        return [t for t, what, deep, _ in self.changes if what == "deep" and deep == state]

    def light_times(self, state: str) -> list[float]:
        return [t for t, what, _, light in self.changes if what == "light" and light == state]

    def until(self, pred: Callable[[], bool], limit_s: float = 24 * 3600) -> None:
        end = self.clock.now() + limit_s
        while not pred():
            due = self.clock.next_due()
            assert due is not None and due <= end, "the condition never became true"
            self.clock.run_until(due)


def test_screen_off_and_unplugged_reaches_deep_idle_after_30_30_4_min_and_locating() -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    assert (phone.power.deep_state(), phone.power.light_state()) == ("INACTIVE", "INACTIVE")
    phone.until(lambda: phone.power.deep_state() == "IDLE")
    assert phone.deep_times("IDLE_PENDING") == [30.0]
    assert phone.deep_times("SENSING") == [60.0]
    assert phone.deep_times("LOCATING") == [64.0]
    assert phone.deep_times("IDLE") == [64.5]
    assert phone.power.light_state() == "OVERRIDE"
    assert phone.power.dozing()


def test_deep_idle_periods_grow_by_idle_factor_up_to_max_idle_to() -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    phone.clock.advance(24 * 3600)
    idle, maint = phone.deep_times("IDLE"), phone.deep_times("IDLE_MAINTENANCE")
    # No work: each maintenance window ends early after min_deep_maintenance_time (30 s).
    assert [round(m - i, 4) for i, m in zip(idle, maint, strict=False)][:5] == [60.0, 120.0, 240.0, 360.0, 360.0]
    assert [round(i - m, 4) for m, i in zip(maint, idle[1:], strict=False)][:4] == [0.5] * 4


def test_maintenance_windows_grow_by_idle_pending_factor_while_work_keeps_running() -> None:
    phone = Phone()
    phone.busy = True
    phone.unplug_and_screen_off()
    phone.clock.advance(10 * 3600)
    idle, maint = phone.deep_times("IDLE"), phone.deep_times("IDLE_MAINTENANCE")
    windows = [round(i - m, 4) for m, i in zip(maint, idle[1:], strict=False)]
    assert windows[:3] == [5.0, 10.0, 10.0]
    assert not any(reason == "s:early" for reason in _deep_reasons(phone.dev, "5"))


def _deep_reasons(dev: AndroidDevice, state: str) -> list[str]:
    """Reasons of the ``device_idle`` events that entered ``state`` (events buffer: ``[state,reason]``)."""
    entries = dev.logs.entries(["events"])
    return [e.msg[1:-1].split(",", 1)[1] for e in entries if e.tag == "device_idle" and e.msg[1:].startswith(state)]


def test_maintenance_ends_early_once_the_probe_is_idle_but_not_before_the_minimum() -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    phone.until(lambda: phone.power.deep_state() == "IDLE_MAINTENANCE")
    start = phone.minutes()
    assert not phone.power.dozing()
    phone.busy = True
    phone.clock.advance(2 * MIN)
    assert phone.power.deep_state() == "IDLE_MAINTENANCE"
    phone.busy = False
    phone.until(lambda: phone.power.deep_state() == "IDLE")
    assert 2.0 <= phone.minutes() - start <= 2.05
    assert _deep_reasons(phone.dev, "5")[-1] == "s:early"


def test_light_doze_idles_4_min_after_inactive_then_5_10_15_15_min() -> None:
    phone = Phone()
    phone.power.network_connected = True
    phone.unplug_and_screen_off()
    phone.clock.advance(29 * MIN)  # before deep IDLE_PENDING, light Doze is on its own
    idle, maint = phone.light_times("IDLE"), phone.light_times("IDLE_MAINTENANCE")
    assert idle[0] == 4.0
    assert [round(m - i, 4) for i, m in zip(idle, maint, strict=False)] == [5.0, 10.0]
    # Light maintenance ends early after min_light_maintenance_time (5 s) when nothing runs.
    assert [round((i - m) * MIN, 3) for m, i in zip(maint, idle[1:], strict=False)] == [5.0, 5.0]
    phone.clock.advance(40 * MIN)
    idle, maint = phone.light_times("IDLE"), phone.light_times("IDLE_MAINTENANCE")
    assert round(maint[2] - idle[2], 4) == 15.0 and round(maint[3] - idle[3], 4) == 15.0


def test_light_maintenance_budget_runs_to_its_minimum_while_work_runs() -> None:
    phone = Phone()
    phone.busy = True
    phone.unplug_and_screen_off()
    phone.clock.advance(25 * MIN)
    idle, maint = phone.light_times("IDLE"), phone.light_times("IDLE_MAINTENANCE")
    assert round(idle[1] - maint[0], 4) == 1.0  # light_idle_maintenance_min_budget


def test_light_idle_waits_for_network_then_steps_when_it_returns() -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    phone.power.network_connected = False
    phone.clock.advance(9.5 * MIN)
    assert phone.power.light_state() == "WAITING_FOR_NETWORK"
    assert phone.power.dozing()  # still restricted while it waits
    phone.power.network_connected = True
    assert phone.power.light_state() == "IDLE_MAINTENANCE"
    assert phone.changes[-1][1] == "network"


@pytest.mark.parametrize("wake", ["screen", "charging"])
def test_screen_on_or_charging_brings_doze_back_to_active(wake: str) -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    phone.until(lambda: phone.power.deep_state() == "IDLE")
    if wake == "screen":
        phone.dev.key(224)  # KEYCODE_WAKEUP
    else:
        phone.power.battery.set_hal(usb=True)
    assert (phone.power.deep_state(), phone.power.light_state(), phone.power.dozing()) == ("ACTIVE", "ACTIVE", False)
    assert phone.power.charging() == (wake == "charging")


def test_listeners_see_each_transition_complete() -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    phone.until(lambda: phone.power.deep_state() == "IDLE")
    entering_idle = [c for c in phone.changes if c[2] == "IDLE" and c[1] in ("deep", "light")]
    assert entering_idle and all(light == "OVERRIDE" for _, _, _, light in entering_idle)


def test_motion_sends_deep_back_to_inactive_with_the_motion_timeout() -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    phone.until(lambda: phone.power.deep_state() == "IDLE")
    phone.power.doze.motion()
    assert (phone.power.deep_state(), phone.power.light_state()) == ("INACTIVE", "INACTIVE")
    assert phone.power.doze.inactive_timeout == 10 * 60_000  # motion_inactive_to
    start = phone.minutes()
    phone.until(lambda: phone.power.deep_state() == "IDLE_PENDING")
    assert phone.minutes() - start == 10.0


def test_device_idle_for_jobs_31_min_after_the_screen_goes_off() -> None:
    phone = Phone()
    phone.power.screen_on = False
    phone.clock.advance(30 * MIN)
    assert not phone.power.device_idle()
    phone.clock.advance(1 * MIN)
    assert phone.power.device_idle() and phone.changes[-1][1] == "idle"
    phone.power.screen_on = True
    assert not phone.power.device_idle()
    assert [c[1] for c in phone.changes[-2:]] == ["screen", "idle"]


def test_whitelisted_covers_system_user_and_temp_entries_until_they_expire() -> None:
    phone = Phone()
    allow = phone.power.allowlist
    assert phone.power.whitelisted("com.google.android.gms")  # system allowlist
    assert not phone.power.whitelisted("com.android.chrome")
    assert allow.add_user("com.android.chrome") and phone.power.whitelisted("com.android.chrome")
    assert allow.remove_user("com.android.chrome") and not phone.power.whitelisted("com.android.chrome")
    allow.add_temp("com.android.chrome", 10_000_000, "shell")  # capped at max_temp_app_allowlist (5 min)
    phone.clock.advance(4.9 * MIN)
    assert phone.power.whitelisted("com.android.chrome")
    phone.clock.advance(0.2 * MIN)
    assert not phone.power.whitelisted("com.android.chrome")
    assert [c[1] for c in phone.changes].count("whitelist") == 4


def test_battery_not_low_follows_battery_services_low_level_hysteresis() -> None:
    phone = Phone()
    battery = phone.power.battery
    battery.set_hal(usb=False, level=15)
    assert not phone.power.battery_not_low()
    battery.set_hal(level=18)
    assert not phone.power.battery_not_low()  # clears only at 20 % (warning level + close bump)
    battery.set_hal(level=20)
    assert phone.power.battery_not_low() and phone.power.battery_level() == 20
    battery.set_hal(level=10, usb=True)
    assert phone.power.battery_not_low()  # charging


def test_reboot_drops_overrides_and_forced_modes_but_keeps_the_user_allowlist() -> None:
    phone = Phone()
    phone.power.allowlist.add_user("com.android.chrome")
    phone.power.allowlist.add_temp("com.android.vending", 60_000, "shell")
    phone.power.screen_on = False
    phone.power.doze.force_idle = True
    phone.dev.shutdown()
    phone.dev.boot()
    power = phone.power
    state = (power.deep_state(), power.screen_on, power.charging(), power.doze.force_idle)
    assert state == ("ACTIVE", True, True, False)
    assert power.whitelisted("com.android.chrome") and not power.whitelisted("com.android.vending")


def test_doze_transitions_are_logged_to_the_events_buffer() -> None:
    phone = Phone()
    phone.unplug_and_screen_off()
    phone.until(lambda: phone.power.deep_state() == "IDLE")
    events = [(e.tag, e.msg) for e in phone.dev.logs.entries(["events"]) if e.tag.startswith("device_idle")]
    assert ("device_idle", "[1,no activity]") in events
    assert ("device_idle", "[2,s:alarm]") in events
    assert ("device_idle", "[4,s:stationary]") in events
    assert ("device_idle", "[5,s:alarm]") in events
    assert ("device_idle_light", "[7,deep]") in events
    assert ("device_idle_light", "[4,s:alarm]") in events
    statuses = [e.msg for e in phone.dev.logs.entries(["events"]) if e.tag == "battery_status"]
    assert statuses[-1] == "[2,2,1,0,Li-ion]"  # status still "charging" with no charger: as BatteryService logs it

"""Low Power Mode, Background App Refresh (global and per app), battery and charging."""

from __future__ import annotations

import pytest

from harness.config import AppConfig, TaskConfig
from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.os import IOSModel, attach_system, bundle_for

UDID = "00008120-001A2C3E0E90201E"
BUNDLE = "com.example.courier"
APP = AppConfig(name="Courier", ios_bundle_id=BUNDLE, tasks=(
    TaskConfig("sync-orders", "background-task", interval_min=15, duration_s=3),
    TaskConfig("refresh-feed", "background-fetch", interval_min=10),
    TaskConfig("nightly-upload", "processing", requires_charging=True, requires_idle=True, interval_min=60,
               duration_s=60),
    TaskConfig("on-push", "push"),
))
PUSH = {"aps": {"content-available": 1}}
DAY_S = 86_400.0


def make() -> tuple[IOSModel, VirtualIPhone, ManualClock]:
    clock = ManualClock()
    phone = VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), clock, [bundle_for(APP)])
    return attach_system(phone, APP, seed=2), phone, clock


def triggers(phone: VirtualIPhone) -> dict[str, set[str]]:
    """task → the triggers it ran with."""
    out: dict[str, set[str]] = {}
    for entry in phone.syslog.entries():
        if "BgProbe v1 task_start" in entry.message:
            fields = dict(part.split("=", 1) for part in entry.message.split()[3:])
            out.setdefault(fields["task"], set()).add(fields["trigger"])
    return out


def day_with(model: IOSModel, clock: ManualClock, phone: VirtualIPhone, *, charging: bool) -> dict[str, set[str]]:
    for _ in range(3):  # a regular user: enough engagement for every kind of work to get a slot
        model.user_open(BUNDLE)
        clock.advance(60)
        model.press_home()
    model.lock()
    phone.charging = charging
    clock.advance(DAY_S)
    model.deliver_silent_push(BUNDLE, PUSH)
    clock.advance(120)
    return triggers(phone)


@pytest.mark.parametrize(("setting", "charging", "expected"), [
    ("none", False, {"sync-orders": {"bgtask"}, "refresh-feed": {"fetch"}, "on-push": {"push"}}),
    ("none", True, {"sync-orders": {"bgtask"}, "refresh-feed": {"fetch"}, "nightly-upload": {"bgtask"},
                    "on-push": {"push"}}),
    ("lpm", False, {}),
    ("lpm", True, {}),  # LPM stays on below 80 %: Apple documents no exception for processing on power
    ("bar-global", True, {}),
    ("bar-app", True, {}),
])
def test_what_runs_under_each_setting(setting: str, charging: bool, expected: dict[str, set[str]]) -> None:
    model, phone, clock = make()
    phone.battery_level = 50
    if setting == "lpm":
        model.set_low_power_mode(True)
    elif setting == "bar-global":
        model.set_background_app_refresh(None, False)
    elif setting == "bar-app":
        model.set_background_app_refresh(BUNDLE, False)
    assert day_with(model, clock, phone, charging=charging) == expected
    assert model.background_app_refresh(BUNDLE) is (setting == "none")


def test_refresh_off_makes_the_submit_fail_and_simulate_finds_nothing() -> None:
    model, phone, _ = make()
    model.set_background_app_refresh(BUNDLE, False)
    model.launch(BUNDLE)
    assert model.dasd.requests == {}  # BGTaskScheduler.submit threw .unavailable
    model.app(BUNDLE).simulate_launch("com.expo.modules.backgroundtask.processing")
    courier = [e.message for e in phone.syslog.entries() if e.process == "Courier"]
    assert "No task request with identifier com.expo.modules.backgroundtask.processing has been scheduled" in courier
    assert not any("task_start" in m for m in courier)


def test_turning_refresh_back_on_lets_the_held_push_through() -> None:
    model, phone, clock = make()
    model.launch(BUNDLE)
    model.press_home()
    model.set_background_app_refresh(None, False)
    assert model.deliver_silent_push(BUNDLE, PUSH) == "held"
    clock.advance(3600)
    assert "on-push" not in triggers(phone)
    model.set_background_app_refresh(None, True)
    assert triggers(phone)["on-push"] == {"push"}


def test_low_power_mode_turns_itself_off_when_charged_to_80() -> None:
    model, phone, _ = make()
    model.set_low_power_mode(True)
    phone.battery_level, phone.charging = 79, True
    assert model.low_power_mode
    phone.battery_level = 80
    assert not model.low_power_mode


def test_a_flat_battery_stops_discretionary_work_until_charging() -> None:
    model, phone, clock = make()
    phone.battery_level = 5
    model.user_open(BUNDLE)
    model.lock()
    clock.advance(DAY_S / 2)
    assert triggers(phone) == {}
    phone.charging = True
    clock.advance(DAY_S / 2)
    assert triggers(phone) != {}


def _upload_starts(phone: VirtualIPhone) -> list[float]:
    return [e.time_s for e in phone.syslog.entries()
            if "BgProbe v1 task_start" in e.message and "task=nightly-upload" in e.message]


def test_on_power_the_upload_runs_within_the_night_without_taking_a_refresh_slot() -> None:
    """A requiresExternalPower processing request is fulfilled in the charging window for an app used this week;
    the app's refresh launches (fetch, expo's worker) keep their own daily slots."""
    model, phone, clock = make()
    model.user_open(BUNDLE)  # used once: 2 refresh launches a day, hours apart
    model.press_home()
    model.lock()
    phone.charging = True
    clock.advance(2 * 3600)
    assert _upload_starts(phone), "the upload did not run within 2 h locked on the charger"
    grants = model.dasd.grants.get(BUNDLE, [])
    assert len(grants) <= 1, f"the upload took refresh slots: {grants}"


def test_an_app_not_used_for_a_week_gets_no_charging_window() -> None:
    model, phone, clock = make()
    model.user_open(BUNDLE)
    model.press_home()
    model.lock()
    phone.charging = False
    clock.advance(8 * DAY_S)  # a week on battery: the request waits, the use ages out
    phone.charging = True
    clock.advance(DAY_S)
    assert not _upload_starts(phone)

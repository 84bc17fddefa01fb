"""Location: authorization, background updates with Always, the 20-region limit, crossings, first unlock."""

from __future__ import annotations

import pytest

from harness.config import AppConfig, TaskConfig
from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.os import GEOFENCE_ARGUMENT, IOSModel, attach_system, bundle_for
from harness.lab.ios.os.location import GEOFENCE_LIMIT

UDID = "00008120-001A2C3E0E90201E"
BUNDLE = "com.example.courier"
APP = AppConfig(name="Courier", ios_bundle_id=BUNDLE, tasks=(
    TaskConfig("courier-location", "location", interval_min=1, duration_s=1),
    TaskConfig("depot-geofence", "geofence", duration_s=1),
))


def make() -> tuple[IOSModel, VirtualIPhone, ManualClock]:
    clock = ManualClock()
    phone = VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), clock, [bundle_for(APP)])
    return attach_system(phone, APP, seed=5), phone, clock


def starts(phone: VirtualIPhone, task: str, since: int = 0) -> list[str]:
    return [e.message for e in phone.syslog.entries(since)
            if e.process == "Courier" and f"task_start task={task} " in e.message]


def test_authorization_defaults_and_setter() -> None:
    model, phone, _ = make()
    assert model.location_authorization(BUNDLE) == "not_determined"
    model.set_location_authorization(BUNDLE, "when_in_use")
    assert model.location_authorization(BUNDLE) == "when_in_use"
    entry = phone.syslog.entries()[-1]
    assert (entry.process, entry.pid) == ("locationd", 171) and BUNDLE in entry.message
    with pytest.raises(ValueError, match="one of not_determined, when_in_use, always, denied"):
        model.set_location_authorization(BUNDLE, "sometimes")


@pytest.mark.parametrize(("status", "runs_in_background"), [
    ("not_determined", False), ("when_in_use", False), ("denied", False), ("always", True)])
def test_background_updates_need_always(status: str, runs_in_background: bool) -> None:
    model, phone, clock = make()
    model.set_location_authorization(BUNDLE, status)
    model.launch(BUNDLE)
    model.lock()
    mark = phone.syslog.last_seq
    clock.advance(600)
    updates = starts(phone, "courier-location", mark)
    if runs_in_background:
        assert len(updates) == 10 and all("trigger=location" in m for m in updates)
        assert model.app_state(BUNDLE) == "background"  # location keeps it running, never suspended
    else:
        assert updates == [] and model.app_state(BUNDLE) == "suspended"


def test_granting_always_later_starts_updates_when_the_app_is_on_screen() -> None:
    model, phone, clock = make()
    model.launch(BUNDLE)
    model.set_location_authorization(BUNDLE, "always")  # the user answers the dialog over the app
    model.press_home()
    clock.advance(300)
    assert len(starts(phone, "courier-location")) == 5


def test_revoking_always_stops_background_updates() -> None:
    model, phone, clock = make()
    model.set_location_authorization(BUNDLE, "always")
    model.launch(BUNDLE)
    model.press_home()
    clock.advance(120)
    model.set_location_authorization(BUNDLE, "when_in_use")
    mark = phone.syslog.last_seq
    clock.advance(600)
    assert starts(phone, "courier-location", mark) == []
    assert model.app_state(BUNDLE) == "suspended"


def test_updates_end_with_the_process_and_no_relaunch() -> None:
    model, phone, clock = make()
    model.set_location_authorization(BUNDLE, "always")
    model.launch(BUNDLE)
    model.press_home()
    model.kill(model.pid_for_bundle(BUNDLE))
    mark = phone.syslog.last_seq
    clock.advance(600)
    assert starts(phone, "courier-location", mark) == [] and model.pid_for_bundle(BUNDLE) == 0


@pytest.mark.parametrize("count", [3, GEOFENCE_LIMIT, GEOFENCE_LIMIT + 5])
def test_geofence_limit(count: int) -> None:
    model, phone, _ = make()
    model.set_location_authorization(BUNDLE, "always")
    model.launch(BUNDLE, arguments=[GEOFENCE_ARGUMENT, str(count)])
    failures = [e for e in phone.syslog.entries() if "kCLErrorDomain Code=5" in e.message]
    assert len(failures) == max(0, count - GEOFENCE_LIMIT)
    assert all((e.process, e.image, e.level) == ("Courier", "CoreLocation", "Error") for e in failures)
    assert model.cross_region(BUNDLE, f"depot-geofence-{min(count, GEOFENCE_LIMIT) - 1}")
    assert not model.cross_region(BUNDLE, f"depot-geofence-{count - 1}") or count <= GEOFENCE_LIMIT


def test_a_crossing_relaunches_a_terminated_app_even_after_force_quit() -> None:
    model, phone, _ = make()
    model.set_location_authorization(BUNDLE, "always")
    model.launch(BUNDLE)
    model.user_force_quit(BUNDLE)
    assert model.cross_region(BUNDLE, "depot-geofence-0")
    assert model.pid_for_bundle(BUNDLE) != 0
    courier = [e.message for e in phone.syslog.entries() if e.process == "Courier"]
    assert "BgProbe v1 wake reason=geofence task=depot-geofence" in courier
    assert any("task_start task=depot-geofence run=1 trigger=geofence" in m for m in courier)


def test_geofences_wait_for_first_unlock_after_reboot() -> None:
    model, _, clock = make()
    model.set_location_authorization(BUNDLE, "always")
    model.launch(BUNDLE)
    model.reboot()
    clock.advance(60)
    assert not model.cross_region(BUNDLE, "depot-geofence-1")
    model.unlock()
    assert model.cross_region(BUNDLE, "depot-geofence-1")


def test_no_relaunch_for_a_crossing_with_background_app_refresh_off() -> None:
    model, _, _ = make()
    model.set_location_authorization(BUNDLE, "always")
    model.launch(BUNDLE)
    model.kill(model.pid_for_bundle(BUNDLE))
    model.set_background_app_refresh(BUNDLE, False)
    assert not model.cross_region(BUNDLE, "depot-geofence-0")
    assert not model.cross_region(BUNDLE, "nowhere-0")

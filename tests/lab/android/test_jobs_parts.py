"""Alarms, standby buckets and app ops on a ManualClock (stand-in power/activity from test_jobs_model)."""

from __future__ import annotations

import pytest

from harness.lab.android.os.jobs import AlarmManager, parse_bucket
from harness.lab.android.os.jobs.alarm_service import AlarmService
from harness.lab.android.os.jobs.appops import AppOps
from harness.lab.android.os.jobs.standby import UnknownBucketError, bucket_name
from harness.lab.android.shell.runtime import Input, Invocation, Output
from tests.lab.android.test_jobs_model import HOUR, MIN, PKG, Phone

TAG = "expo.modules.taskManager.TaskBroadcastReceiver.INTENT_ACTION"


@pytest.fixture
def phone() -> Phone:
    return Phone()


def _alarms(phone: Phone) -> AlarmManager:
    assert isinstance(phone.dev.alarms, AlarmManager)
    return phone.dev.alarms


def _fires(phone: Phone, interval_s: float = 10 * MIN, *, while_idle: bool = False) -> list[float]:
    fired: list[float] = []
    record = lambda: fired.append(round((phone.clock.now() - phone.t0) / MIN, 3))  # noqa: E731
    if while_idle:
        _alarms(phone).set(PKG, TAG, interval_s, record, interval_s=interval_s, while_idle=True)
    else:
        phone.dev.alarms.set_inexact_repeating(PKG, TAG, interval_s, interval_s, record)
    return fired


def test_inexact_repeating_alarm_fires_every_interval(phone: Phone) -> None:
    fired = _fires(phone)
    phone.advance(HOUR)
    assert fired == [10, 20, 30, 40, 50, 60]


def test_alarms_wait_for_maintenance_in_deep_idle(phone: Phone) -> None:
    fired = _fires(phone)
    phone.power.set("deep", deep="IDLE")
    phone.advance(HOUR)
    assert fired == []
    phone.power.set("deep", deep="IDLE_MAINTENANCE")
    phone.advance(0)  # delivered from AlarmManager's handler, not inside the listener
    assert fired == [60]  # one delivery for all the missed intervals
    phone.advance(10 * MIN)
    assert fired == [60, 70]


def test_while_idle_alarm_fires_at_most_every_nine_minutes_in_deep_idle(phone: Phone) -> None:
    phone.power.set("deep", deep="IDLE")
    fired = _fires(phone, interval_s=MIN, while_idle=True)
    phone.advance(30 * MIN)
    assert fired == [1, 10, 19, 28]


def test_rare_bucket_gets_one_alarm_an_hour_on_battery_and_no_limit_charging(phone: Phone) -> None:
    phone.dev.standby.set_bucket(PKG, 40, "f")
    fired = _fires(phone)
    phone.advance(2 * HOUR)
    assert fired == [10, 70]
    phone.power.set("charging", plugged=True)
    phone.advance(HOUR)
    assert len(fired) >= 7


def test_background_restricted_app_gets_no_alarms_until_foreground(phone: Phone) -> None:
    phone.dev.appops.set_mode(PKG, 70, 1)  # type: ignore[attr-defined]
    fired = _fires(phone)
    phone.advance(HOUR)
    assert fired == []
    phone.activity.to_foreground(PKG)
    phone.advance(0)
    assert fired == [60]


def test_cancel_all_drops_the_package_alarms(phone: Phone) -> None:
    fired = _fires(phone)
    assert phone.dev.alarms.cancel_all(PKG) == 1
    phone.advance(HOUR)
    assert fired == []


def test_alarms_do_not_survive_a_reboot(phone: Phone) -> None:
    _fires(phone)
    phone.dev.shutdown()
    phone.dev.boot()
    assert _alarms(phone).pending(PKG) == []


@pytest.mark.parametrize(("text", "bucket"), [("active", 10), ("ac", 10), ("WORKING_SET", 20), ("fr", 30),
                                              ("rare", 40), ("re", 45), ("restricted", 45), ("never", 50), ("25", 25)])
def test_parse_bucket_matches_prefixes_and_integers(text: str, bucket: int) -> None:
    assert parse_bucket(text) == bucket


def test_parse_bucket_error_text_is_ams() -> None:
    with pytest.raises(UnknownBucketError) as err:
        parse_bucket("sleepy")
    assert str(err.value) == "Error: Unknown bucket: sleepy"
    assert [bucket_name(b) for b in (5, 10, 20, 30, 40, 45, 50, 99)] == [
        "EXEMPTED", "ACTIVE", "WORKING_SET", "FREQUENT", "RARE", "RESTRICTED", "NEVER", "99"]


def test_unused_app_decays_but_a_forced_bucket_stays(phone: Phone) -> None:
    standby = phone.dev.standby
    changes: list[tuple[str, int]] = []
    standby.on_change(lambda pkg, b: changes.append((pkg, b)))
    assert standby.bucket(PKG) == 10
    phone.advance(13 * HOUR)
    assert standby.bucket(PKG) == 20
    phone.advance(12 * HOUR)
    assert standby.bucket(PKG) == 30
    phone.advance(24 * HOUR)
    assert standby.bucket(PKG) == 40
    standby.note_used(PKG)
    assert standby.bucket(PKG) == 10
    standby.set_bucket(PKG, 30, "f")
    phone.advance(72 * HOUR)
    assert standby.bucket(PKG) == 30
    assert changes[:3] == [(PKG, 20), (PKG, 30), (PKG, 40)]


def test_system_and_allowlisted_apps_are_exempted(phone: Phone) -> None:
    assert phone.dev.standby.bucket("com.android.settings") == 5
    phone.power.allowlist.add(PKG)
    assert phone.dev.standby.bucket(PKG) == 5


def test_set_inactive_and_get_inactive(phone: Phone) -> None:
    standby = phone.dev.standby
    standby.set_inactive(PKG, True)  # type: ignore[attr-defined]
    assert (standby.bucket(PKG), standby.is_inactive(PKG)) == (40, True)  # type: ignore[attr-defined]
    standby.set_inactive(PKG, False)  # type: ignore[attr-defined]
    assert (standby.bucket(PKG), standby.is_inactive(PKG)) == (10, False)  # type: ignore[attr-defined]


def test_appops_run_any_in_background_and_listeners(phone: Phone) -> None:
    appops = phone.dev.appops
    assert isinstance(appops, AppOps)
    seen: list[tuple[str, str]] = []
    appops.on_change(lambda pkg, op: seen.append((pkg, op)))
    assert appops.run_any_in_background(PKG)
    appops.set_mode(PKG, 70, 1)
    assert not appops.run_any_in_background(PKG)
    appops.set_mode(PKG, 70, 4)  # foreground: still allowed for this op
    assert appops.run_any_in_background(PKG)
    appops.reset(PKG)
    assert appops.package_modes == {}
    assert seen[0] == (PKG, "RUN_ANY_IN_BACKGROUND")


def test_dumpsys_alarm_of_an_alarm_held_by_doze(phone: Phone) -> None:
    _fires(phone)
    phone.power.set("deep", deep="IDLE")
    out: list[bytes] = []
    inv = Invocation(["dumpsys", "alarm"], phone.dev, Input.of(b""), Output(out.append), Output(out.append))
    service = phone.dev.services["alarm"]
    assert isinstance(service, AlarmService)
    assert service.dump(inv, []) == 0
    text = b"".join(out).decode()
    assert "  1 pending alarms: \n" in text
    assert "      policyWhenElapsed: requester=+10m0s0ms app_standby=-- device_idle=-- battery_saver=--\n" in text
    assert f"      tag=*walarm*:{TAG}\n" in text

"""Overnight processing: the overnight task (role `overnight`) runs only while the phone charges and nobody is using it.

Requirement (issue 8): the app's overnight task (role `overnight`) (devices.toml `kind = "processing"`: on Android a
WorkManager job with `requiresCharging` and `requiresDeviceIdle`, i.e. JobScheduler's `CHARGING` and `IDLE`
constraints; on iOS a BGProcessingTaskRequest with `requiresExternalPower`) must not run on battery, must
not run while the phone is in use, and must run once the phone sits on the charger unused.

A failure in the first two tests means the upload can drain the battery or slow the phone in the
user's hand; the job's unsatisfied constraints in `dumpsys jobscheduler` show which gate is missing.
A failure in the third means the upload never happens overnight.

Android's idle is JobScheduler's own (DeviceIdlenessTracker): the screen has been off for the inactivity
threshold (31 min in AOSP), or `am idle-maintenance` says so at once. It is not Doze: `force_idle` puts
the phone in deep Doze, which defers the job (DEVICE_NOT_DOZING) instead of satisfying IDLE.

On an iPhone nothing lets a tool stop the charging, so the battery cell needs the phone on a switchable USB
hub (devices.toml `usb_hub`, a Cambrionix hub's API): `ios.unplug(for_s=...)` switches its port off for a
night and back on; the app's ring buffer then shows whether the upload ran meanwhile. iOS runs a
BGProcessingTask when the phone is idle (locked a while) and, with `requiresExternalPower`, on power; Apple
promises it "within the next two days" (BGTaskRequest.h) for an app used in the past week, so the charger
cell waits a night (12 h of the phone's time), and a failure there means iOS kept the upload for later
nights: on a real phone, check Settings → Battery and Background App Refresh before blaming the app.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.ios import IOSDriver
from harness.logs.dumpsys import Job
from harness.logs.expect import Expect
from harness.plan import HOUR, MIN, cost
from harness.plugin import App
from harness.ui import UiDriver

ROLE = "overnight"  # the role in devices.toml [[app.task]] (docs/adopting.md)
NIGHT = 6 * HOUR
# How long the two gate cells watch the upload not run: with every other constraint met, JobScheduler would start it
# within seconds; the job's unsatisfied constraints in dumpsys then say which gate held it.
GATE_WATCH_S = 2 * MIN
# The user is on the phone half a minute before putting it away: EMUI's PowerGenie cleans up only on a screen-off
# that follows at least 10 s of screen-on, and on a lab phone whose clock stands still while the harness acts the
# launch itself takes no time.
SCREEN_ON_S = 30


def _nightly_job(android: AndroidDriver, timeline: Expect, task: str) -> Job:
    job = android.find_job(task)
    if job is None:
        timeline.still_running()  # a force-stop took the job with it: name who did it
    assert job is not None, f"{android.name}: no JobScheduler job requires charging and idle: " \
                            f"WorkManager never scheduled {task}"
    return job


@pytest.mark.known_kill(oem="huawei", reason="PowerGenie's screen-off clean-up force-stops the app seconds after "
                        "the screen goes off, so WorkManager's job is gone before the charger is missed")
@cost(lambda c: SCREEN_ON_S + GATE_WATCH_S)  # the screen-on half minute is device time too (150 s used, 120 planned)
def test_upload_waits_for_the_charger(android: AndroidDriver, timeline: Expect, app: App) -> None:
    """On battery the upload does not run, even when the phone is idle: the job waits on CHARGING."""
    task = app.role(ROLE)
    android.launch()
    android.home()
    android.unplug()
    timeline.settle(SCREEN_ON_S)  # and marks: an OEM clean-up seconds after the screen-off (EMUI) is in the watch
    android.screen_off()
    android.idle_maintenance()  # idle for JobScheduler now: only the charger is missing
    # Before light Doze (4 min after screen-off on 14/15) and before the MIUI, ColorOS and One UI screen-off
    # clean-ups, so the charger is the only gate: without it JobScheduler would start the job within moments.
    # (EMUI's PowerGenie cleans up seconds after the screen-off: the expected kill above.)
    timeline.task_not_fired(task, during_s=GATE_WATCH_S)
    unsatisfied = _nightly_job(android, timeline, task).unsatisfied
    assert "CHARGING" in unsatisfied and "IDLE" not in unsatisfied, \
        f"{android.name}: expected the job to wait on the charger alone, it waits on {unsatisfied}"


@cost(lambda c: GATE_WATCH_S)
def test_upload_waits_while_the_phone_is_in_use(android: AndroidDriver, timeline: Expect, app: App) -> None:
    """On the charger with the screen on (the user is on the phone) the upload does not run: it waits on IDLE."""
    task = app.role(ROLE)
    assert android.battery().plugged, f"{android.name}: the phone is not on the charger"
    android.launch()
    android.home()
    timeline.reset()
    timeline.task_not_fired(task, during_s=GATE_WATCH_S)
    unsatisfied = _nightly_job(android, timeline, task).unsatisfied
    assert "IDLE" in unsatisfied and "CHARGING" not in unsatisfied, \
        f"{android.name}: expected the job to wait on device idle, it waits on {unsatisfied}"


@pytest.mark.known_kill(oem="xiaomi", reason="MIUI PowerKeeper force-stops background apps minutes after "
                        "screen-off, cancelling the job before the phone is idle")
@pytest.mark.known_kill(oem="oppo", reason="ColorOS freezes (hans) and then kills (athena) background apps after "
                        "screen-off, so the job cannot run in the app once the phone is idle")
@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes the app once it idles in "
                        "the background, so the job cannot start in it")
@pytest.mark.known_kill(oem="huawei", reason="PowerGenie's screen-off clean-up force-stops background apps seconds "
                        "after the screen goes off unless the app is set to 'Manage manually' in App launch")
@cost(lambda c: 16 * MIN + c.period(c.app.role_name(ROLE)) + 25 * MIN)
def test_upload_runs_overnight_on_the_charger(android: AndroidDriver, timeline: Expect, app: App) -> None:
    """On the charger with the screen off the upload runs once the phone is idle, and completes.

    The phone first sits 16 minutes with the screen off: not idle yet for JobScheduler, so nothing may
    run, and long enough for the OEM battery managers' screen-off clean-ups (the lab's MIUI kills within
    15 min, ColorOS and One UI freeze within 3) to happen as they would at night. `am idle-maintenance`
    then stands in for the rest of JobScheduler's 31-minute inactivity threshold."""
    task = app.role(ROLE)
    android.launch()
    android.home()
    job = android.find_job(task)  # a run in the last hour puts the next one off (WorkManager's period)
    due_s = max(0.0, job.earliest_run_s or 0.0) if job is not None else 0.0
    timeline.settle(SCREEN_ON_S)
    android.screen_off()
    timeline.reset()
    timeline.task_not_fired(task, during_s=16 * MIN)

    timeline.reset()  # mark first, then act: the job starts moments after the phone turns idle
    android.idle_maintenance()
    timeline.task_fired(task, within_s=due_s + 5 * MIN, trigger="workmanager")
    ended = timeline.stream.wait_for(lambda e: e.kind == "task_end" and e.task == task, timeline.mark,
                                     due_s + 20 * MIN)
    assert ended is not None and ended.reason == "success", \
        f"{android.name}: the upload started but did not complete while the phone stayed idle on the charger"


@cost(lambda c: NIGHT + c.ack)
def test_iphone_upload_waits_for_the_charger(ios: IOSDriver, ui: UiDriver, app: App) -> None:
    """Locked all night off the charger (the hub port off), the upload does not run: it waits for power.

    The phone is idle for iOS the whole time (locked), so external power is the only gate missing. On a real
    phone the cell takes the six hours it waits (run it in the nightly job); a lab iPhone does them in 15 s."""
    task = app.role(ROLE)
    ios.launch()  # a used app; the launch submits the upload's BGProcessingTaskRequest
    ios.home()
    ui.lock()
    away_from = _clock(ios)
    ios.unplug(for_s=NIGHT)  # a night on the nightstand, no cable: nothing can be read from it meanwhile
    night_end = away_from + NIGHT * 1000  # it was back on power only after this (a run may follow at once)
    ran = [e for e in ios.ring_buffer()
           if e.get("task") == task and e.get("event") == "task_start" and away_from <= _ms(e) <= night_end]
    assert not ran, f"{ios.name}: {task} ran on battery while unplugged: {ran}"


@pytest.mark.tier("soak")  # a night of iOS's own schedule, and a second night to finish
@cost(lambda c: 24 * HOUR)
def test_iphone_upload_runs_overnight_on_the_charger(ios: IOSDriver, ui: UiDriver, timeline: Expect, app: App) -> None:
    """Locked on the charger, the upload runs within the night and completes before the user picks the phone up."""
    task = app.role(ROLE)
    assert ios.battery().get("ExternalConnected"), f"{ios.name}: the phone is not on external power"
    ios.launch()
    ios.home()
    timeline.reset()
    ui.lock()
    timeline.task_fired(task, within_s=12 * HOUR, trigger="bgtask")
    ended = timeline.stream.wait_for(lambda e: e.kind == "task_end" and e.task == task, timeline.mark, 12 * HOUR)
    assert ended is not None and ended.reason == "success", \
        f"{ios.name}: the upload started but did not complete while the phone stayed locked on the charger"


def _clock(ios: IOSDriver) -> float:
    """The phone's clock in ms (the ring buffer's unit)."""
    now = ios.device_time()
    assert now is not None, f"{ios.name}: the phone's clock cannot be read"
    return now * 1000


def _ms(entry: dict[str, object]) -> float:
    value = entry.get("time")
    return float(value) if isinstance(value, int | float) else -1.0

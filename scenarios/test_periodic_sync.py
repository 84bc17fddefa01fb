"""Periodic sync: the app's periodic background task keeps firing while the app is in the background.

Requirement: the periodic task (role `periodic`; in the demo app expo-background-task: one periodic WorkManager
job, EXPO_BACKGROUND_WORKER, every 15 minutes at best) runs again and again while the user is not using the app.

A failure means users see stale data until they open the app. On the OEM phones the battery manager
kills the app after the screen goes off: those cells are expected kills, checked to be attributed to
the right killer. If one of them starts passing, the OEM (or its settings) stopped killing: the test
then fails strictly so the matrix is updated on purpose.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.android.knobs import app_duration_s
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plan import HOUR, cost
from harness.plugin import App

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)
# The user is on the phone half a minute before putting it away: EMUI's PowerGenie cleans up only on a screen-off
# that follows at least 10 s of screen-on, and on a lab phone whose clock stands still while the harness acts the
# launch itself takes no time.
SCREEN_ON_S = 30


@pytest.mark.known_kill(oem="xiaomi", reason="MIUI PowerKeeper force-stops background apps after screen-off "
                        "unless Autostart and 'No restrictions' are set")
@pytest.mark.known_kill(oem="oppo", reason="ColorOS freezes and kills background apps after screen-off "
                        "unless auto-launch is allowed")
@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes idle background apps "
                        "(and 'Put unused apps to sleep' restricts them)")
@pytest.mark.known_kill(oem="huawei", reason="PowerGenie's screen-off clean-up force-stops background apps seconds "
                        "after the screen goes off unless the app is set to 'Manage manually' in App launch")
@cost(lambda c: 6 * c.period(c.app.role_name(ROLE)))
def test_periodic_task_fires_in_background(android: AndroidDriver, app: App, timeline: Expect) -> None:
    task = app.role(ROLE)
    android.launch()
    android.home()
    android.unplug()
    timeline.settle(SCREEN_ON_S)
    android.screen_off()  # the user puts the phone away
    period = app.interval_s(task)
    for _ in range(3):  # three runs in a row, each within two periods (WorkManager's window + Doze)
        timeline.task_fired(task, within_s=2 * period)
        timeline.reset()


FETCH_ROLE = "fetch"  # the role in devices.toml [[app.task]] (docs/adopting.md)


@pytest.mark.tier("soak")  # iOS's own schedule, with no knob to shorten it
@cost(lambda c: 12 * HOUR)
def test_iphone_grants_background_time_to_a_used_app(ios: IOSDriver, timeline: Expect, app: App) -> None:
    """On iOS the schedule is the system's: BGTaskScheduler and background fetch run when iOS decides,
    following how much the user uses the app (and never in Low Power Mode or with Background App Refresh off).
    What it does promise — a used app gets background time within hours — is what this checks; it asserts
    no 15-minute cadence, because iOS makes none. A failure means the app gets no background time at all:
    check Background App Refresh, the UIBackgroundModes and BGTaskSchedulerPermittedIdentifiers of the build."""
    fetch = app.role(FETCH_ROLE)
    ios.launch()
    ios.home()
    timeline.reset()
    timeline.task_fired(fetch, within_s=12 * HOUR, trigger=("fetch", "bgtask"))


@cost(lambda c: 2 * c.ack + c.duration(c.app.role_name(ROLE)))
def test_iphone_runs_a_task_on_the_debug_trigger(ios: IOSDriver, timeline: Expect, app: App) -> None:
    """The debug build runs a named task when launched with the probe's run-task argument (what Expo's
    triggerTaskWorkerForTestingAsync does): the task's code works on this phone, independent of scheduling."""
    task = app.role(ROLE)
    ios.launch()
    ios.home()
    timeline.reset()
    ios.trigger_task(task)
    timeline.task_fired(task, within_s=timeline.ack_s, trigger="test")  # the launch's own round trip
    ended = timeline.stream.wait_for(lambda e: e.kind == "task_end" and e.task == task, timeline.mark,
                                     timeline.ack_s + app_duration_s(ios, task))
    assert ended is not None and ended.reason == "success", f"{ios.name}: the triggered run did not succeed"
    assert [e for e in ios.ring_buffer() if e.get("task") == task][-1].get("event") == "task_end", \
        "the probe's ring buffer on the phone does not hold the run"

"""Force-stop: `am force-stop` (Settings → Force stop, or an OEM cleaner) cancels the app's jobs until relaunch.

Requirement: after a force-stop the background task stops — no process, no job, no run — and comes
back by itself as soon as the user opens the app again (WorkManager reschedules on the next start).

A failure in the first half means the app runs after the user asked it to stop (or the harness did
not really stop it); in the second half, that the app does not recover its background work after a
relaunch, which users experience as "sync stopped until I reinstalled".
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.android.knobs import app_duration_s, due_now
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plan import BACKGROUND_SETTLE_S, HOLD_S, HOUR, cost
from harness.plugin import App

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)
FETCH_ROLE = "fetch"
DAY = 24 * HOUR


@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes the app once it is idle in "
                        "the background, so its rescheduled job never completes")
@cost(lambda c: 4 * c.ack + HOLD_S + BACKGROUND_SETTLE_S + c.duration(c.app.role_name(ROLE)))
def test_force_stop_cancels_jobs_until_relaunch(android: AndroidDriver, timeline: Expect, app: App) -> None:
    """Quick: each run is made due with `cmd jobscheduler run` (scenarios/_knobs.py) instead of waiting a period;
    after the relaunch the app first sits in the background as long as the OS takes to treat it as idle, so an
    OEM freezer acting on that (One UI) acts here as on a user's phone."""
    task = app.role(ROLE)
    android.launch()
    android.home()
    timeline.reset()
    due_now(android, timeline, task)
    timeline.task_fired(task, within_s=timeline.ack_s)

    timeline.reset()
    android.force_stop()
    timeline.killed(by="user", within_s=timeline.ack_s)  # the stop's own line: every line before it is in now
    timeline.reset()  # after the stop: a run that began just before it is not the app escaping it
    state = android.process()
    assert not state.running and state.stopped, f"{android.name}: still running after force-stop: {state}"
    assert android.find_job(task) is None, "the job survived a force-stop"
    timeline.task_not_fired(task, during_s=HOLD_S)

    android.launch()
    android.home()
    assert android.find_job(task) is not None, "WorkManager did not reschedule after the relaunch"
    timeline.settle(BACKGROUND_SETTLE_S)
    due_now(android, timeline, task)
    fired = timeline.task_fired(task, within_s=timeline.ack_s)
    ended = timeline.stream.wait_for(lambda e: e.kind == "task_end" and e.task == task, timeline.mark,
                                     timeline.ack_s + app_duration_s(android, task))
    assert ended is not None, f"{android.name}: the run that started at {fired.time_text} never completed"


@pytest.mark.tier("soak")  # iOS's own schedule: a day, with no knob to shorten it
@cost(lambda c: 2 * c.ack + DAY)
def test_iphone_process_kill_is_not_a_force_quit(ios: IOSDriver, timeline: Expect, app: App) -> None:
    """iOS: a process kill (a crash, jetsam, a developer tool) is not the user's force-quit. iOS keeps
    launching the app in the background afterwards; only a swipe in the app switcher stops that (see
    test_ui_force_quit). A failure means background work ends with any crash of the app. The launch watched
    for is the background fetch's: an app without one gets no background launch on iOS's own schedule in a
    day of use (its BGProcessingTasks wait for the phone idle on power), so the cell needs that role."""
    app.role(FETCH_ROLE)
    ios.launch()
    ios.home()
    timeline.reset()
    assert ios.kill(), f"{ios.name}: the app was not running after launch"
    timeline.killed(within_s=timeline.ack_s)  # the kill's own line
    timeline.reset()
    fired = timeline.stream.wait_for(lambda e: e.kind == "task_start" and e.reason in ("fetch", "bgtask", "push"),
                                     timeline.mark, DAY)
    assert fired is not None, f"{ios.name}: no background launch within a day after a process kill"

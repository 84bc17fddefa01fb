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
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plugin import App

TASK = "sync-orders"


@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes the app once it is idle in "
                        "the background, so its rescheduled job never completes")
def test_force_stop_cancels_jobs_until_relaunch(android: AndroidDriver, app: App, timeline: Expect) -> None:
    period = app.interval_s(TASK)
    android.launch()
    android.home()
    timeline.task_fired(TASK, within_s=2 * period)

    timeline.reset()
    android.force_stop()
    timeline.killed(by="user", within_s=5 * 60)  # the stop's own log line: every line before it is in the stream now
    timeline.reset()  # after the stop: a run that began just before it is not the app escaping it
    state = android.process()
    assert not state.running and state.stopped, f"{android.name}: still running after force-stop: {state}"
    assert android.find_job(TASK) is None, "the job survived a force-stop"
    timeline.task_not_fired(TASK, during_s=2 * period)

    timeline.reset()
    android.launch()
    android.home()
    assert android.find_job(TASK) is not None, "WorkManager did not reschedule after the relaunch"
    timeline.task_fired(TASK, within_s=2 * period)


def test_iphone_process_kill_is_not_a_force_quit(ios: IOSDriver, timeline: Expect) -> None:
    """iOS: a process kill (a crash, jetsam, a developer tool) is not the user's force-quit. iOS keeps
    launching the app in the background afterwards; only a swipe in the app switcher stops that (see
    test_ui_force_quit). A failure means background work ends with any crash of the app."""
    ios.launch()
    ios.home()
    timeline.reset()
    assert ios.kill(), f"{ios.name}: the app was not running after launch"
    timeline.killed(within_s=3600)  # the kill's own line; an hour of a lab iPhone's time is 2.5 s of wall time
    timeline.reset()
    fired = timeline.stream.wait_for(lambda e: e.kind == "task_start" and e.reason in ("fetch", "bgtask", "push"),
                                     timeline.mark, 24 * 3600)
    assert fired is not None, f"{ios.name}: no background launch within a day after a process kill"

"""Doze: in deep idle the periodic task waits for the next maintenance window, then runs.

Requirement: while the phone sits unplugged with the screen off, `sync-orders` does not run during
deep Doze IDLE but does run in the maintenance window that follows. A failure in the first half means
the app escapes Doze (a whitelist or an exact alarm the team did not intend); in the second, that the
task does not catch up in maintenance — it would then wait hours on a phone left on a desk.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.logs.expect import Expect
from harness.plugin import App

TASK = "sync-orders"


@pytest.mark.oem("google")  # OEM killers act on screen-off first: see test_periodic_sync for them
def test_deep_doze_defers_to_the_maintenance_window(android: AndroidDriver, app: App, timeline: Expect) -> None:
    period = app.interval_s(TASK)
    android.launch()
    android.home()
    timeline.task_fired(TASK, within_s=2 * period)  # scheduled and running before Doze

    android.unplug()
    android.screen_off()
    timeline.reset()
    android.force_idle()
    assert android.doze_states().deep == "IDLE"
    timeline.task_not_fired(TASK, during_s=2 * period)

    timeline.reset()  # mark first, then act: the job starts within milliseconds of the window opening
    assert android.step_idle() == "IDLE_MAINTENANCE"
    timeline.task_fired(TASK, within_s=5 * 60)


@pytest.mark.oem("google")
def test_whitelisted_app_is_not_deferred(android: AndroidDriver, app: App, timeline: Expect) -> None:
    period = app.interval_s(TASK)
    android.whitelist_add()
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    timeline.reset()
    android.force_idle()
    timeline.task_fired(TASK, within_s=2 * period)

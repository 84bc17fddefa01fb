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
    timeline.dozed("IDLE", within_s=5 * 60)  # a run logged just before the idle is read before the mark below
    timeline.reset()
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


# Stock Android only, as above: on the lab's OEM phones ColorOS force-stops and One UI freezes the app before
# the window comes, and MIUI's clean-up 5-15 min after screen-off races it (test_periodic_sync covers them).
@pytest.mark.oem("google")
def test_light_doze_defers_to_light_maintenance_windows(android: AndroidDriver, app: App,
                                                        timeline: Expect) -> None:
    """Light Doze: a phone carried in a pocket (screen off, on battery, but moving, so deep Doze never settles)
    still holds jobs back, to short light maintenance windows every 5–15 minutes (android.md §1.5).

    Requirement: `sync-orders` does not run while light Doze is IDLE and runs in a light maintenance window.
    A failure means the app escapes light Doze (a whitelist or an exact alarm), or that it misses the windows
    a moving phone still gives and waits until the user picks the phone up."""
    period = app.interval_s(TASK)
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    android.force_idle("light")
    moved = android.motion()  # the phone is carried: deep Doze starts over, light Doze carries on
    assert (moved.light, moved.deep) == ("IDLE", "INACTIVE")
    timeline.reset()

    fired = timeline.task_fired(TASK, within_s=2 * period)  # due within a period, then the next window
    assert fired.time is not None
    light = [e for e in timeline.stream.since(timeline.mark)
             if e.kind == "doze" and e.extra.get("mode") == "light" and e.time is not None and e.time <= fired.time]
    state = light[-1].reason if light else "IDLE"  # forced into IDLE before the mark
    assert state == "IDLE_MAINTENANCE", f"{android.name}: {TASK!r} ran while light Doze was {state}"
    assert android.doze_states().deep != "IDLE", f"{android.name}: deep Doze settled although the phone moved"

"""Doze: in deep idle the periodic task waits for the next maintenance window, then runs.

Requirement: while the phone sits unplugged with the screen off, the periodic task (role `periodic`) does
not run during deep Doze IDLE but does run in the maintenance window that follows. A failure in the first half means
the app escapes Doze (a whitelist or an exact alarm the team did not intend); in the second, that the
task does not catch up in maintenance — it would then wait hours on a phone left on a desk.

Quick cells: instead of waiting a period for the task to come due (15 min, then hours of Doze), each cell
makes the job due with `cmd jobscheduler run` (no flag: JobScheduler ignores the timing delay but not
Doze, scenarios/_knobs.py) and watches the OS hold it or let it run, with Doze forced and stepped by
`cmd deviceidle`.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.android.knobs import due_now
from harness.logs.expect import Expect
from harness.plan import HOLD_S, cost
from harness.plugin import App

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)
# The light idle period the quick cell sets (DeviceIdleController's default: light_idle_to 5 min plus a 1 min flex,
# android.md §1.5): long enough to see the job held, short enough for a quick cell.
LIGHT_IDLE_S = 30.0
LIGHT_IDLE_FLEX_S = 60.0  # light_idle_to_initial_flex, left at its default


@pytest.mark.oem("google")  # OEM killers act on screen-off first: see test_periodic_sync for them
@cost(lambda c: 3 * c.ack + HOLD_S)
def test_deep_doze_defers_to_the_maintenance_window(android: AndroidDriver, timeline: Expect, app: App) -> None:
    task = app.role(ROLE)
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    timeline.reset()
    android.force_idle()
    assert android.doze_states().deep == "IDLE"
    timeline.dozed("IDLE", within_s=timeline.ack_s)  # a run logged just before the idle is read before the mark
    timeline.reset()
    due_now(android, timeline, task)
    timeline.task_not_fired(task, during_s=HOLD_S)  # due, and held: by Doze alone
    job = android.find_job(task)
    assert job is not None and not job.ready and "DEVICE_NOT_DOZING" not in job.satisfied, \
        f"{android.name}: the due job is not held by Doze: {job}"  # Doze is an implicit constraint

    timeline.reset()  # mark first, then act: the job starts within milliseconds of the window opening
    assert android.step_idle() == "IDLE_MAINTENANCE"
    timeline.task_fired(task, within_s=timeline.ack_s)


@pytest.mark.oem("google")
@cost(lambda c: 3 * c.ack)
def test_whitelisted_app_is_not_deferred(android: AndroidDriver, timeline: Expect, app: App) -> None:
    task = app.role(ROLE)
    android.whitelist_add()
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    timeline.reset()
    android.force_idle()
    timeline.dozed("IDLE", within_s=timeline.ack_s)
    timeline.reset()
    due_now(android, timeline, task)
    timeline.task_fired(task, within_s=timeline.ack_s)  # deep IDLE, and it runs: the whitelist exempts it


# Stock Android only, as above: on the lab's OEM phones ColorOS force-stops and One UI freezes the app before
# the window comes, and MIUI's clean-up 5-15 min after screen-off races it (test_periodic_sync covers them).
@pytest.mark.oem("google")
@cost(lambda c: 2 * c.ack + max(LIGHT_IDLE_S, c.ack) + LIGHT_IDLE_FLEX_S)
def test_light_doze_defers_to_light_maintenance_windows(android: AndroidDriver, timeline: Expect, app: App) -> None:
    """Light Doze: a phone carried in a pocket (screen off, on battery, but moving, so deep Doze never settles)
    still holds jobs back, to short light maintenance windows every 5–15 minutes (android.md §1.5).

    Requirement: the periodic task (role `periodic`) does not run while light Doze is IDLE and runs in a light
    maintenance window.
    A failure means the app escapes light Doze (a whitelist or an exact alarm), or that it misses the windows
    a moving phone still gives and waits until the user picks the phone up. Quick: the light idle period is
    shortened with DeviceIdleController's own flag (`device_config put device_idle light_idle_to`), the job is made
    due at once, and the first light maintenance window comes by itself. One flag only: on Android 15 a put
    recomputes the constants from the keys of that put alone (docs/lab-device-config.md), so a second put would
    undo the first until a reboot."""
    task = app.role(ROLE)
    idle_s = max(LIGHT_IDLE_S, timeline.ack_s)  # on a fast lab clock, longer than the harness's round trips
    android.device_config_put("device_idle", "light_idle_to", int(idle_s * 1000))
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    android.force_idle("light")
    moved = android.motion()  # the phone is carried: deep Doze starts over, light Doze carries on
    assert (moved.light, moved.deep) == ("IDLE", "INACTIVE")
    timeline.reset()
    due_now(android, timeline, task)

    fired = timeline.task_fired(task, within_s=idle_s + LIGHT_IDLE_FLEX_S + timeline.ack_s)
    assert fired.time is not None
    light = [e for e in timeline.stream.since(timeline.mark)
             if e.kind == "doze" and e.extra.get("mode") == "light" and e.time is not None and e.time <= fired.time]
    state = light[-1].reason if light else "IDLE"  # forced into IDLE before the mark
    assert state == "IDLE_MAINTENANCE", f"{android.name}: {task!r} ran while light Doze was {state}"
    assert android.doze_states().deep != "IDLE", f"{android.name}: deep Doze settled although the phone moved"

"""Reboot: the periodic task is running again after the phone restarts, without the user opening the app.

Requirement: WorkManager's persisted job (and its BOOT_COMPLETED rescheduling) brings the periodic task
(role `periodic`) back after a reboot. A failure means every restart (an OS update, a flat battery) silently ends
background sync until the user happens to open the app.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.logs.expect import Expect
from harness.plan import cost
from harness.plugin import App

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)


@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes the idle background app, "
                        "before and after the reboot")
@cost(lambda c: 4 * c.period(c.app.role_name(ROLE)) + c.reboot)
def test_periodic_task_runs_again_after_reboot(android: AndroidDriver, app: App, timeline: Expect) -> None:
    task = app.role(ROLE)
    period = app.interval_s(task)
    timeline.reset()
    android.launch()
    android.home()
    timeline.task_fired(task, within_s=2 * period)

    timeline.reset()  # before the reboot: a run the boot starts at once can be logged before reboot() returns
    android.reboot()
    assert not android.process().stopped, "a reboot must not leave the app in the stopped state"
    timeline.task_fired(task, within_s=2 * period)

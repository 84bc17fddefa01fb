"""Background restriction: the user's "Restricted" battery setting stops the task; lifting it brings it back.

Requirement: with `RUN_ANY_IN_BACKGROUND` ignored (Settings → Battery → Restricted) the periodic task
does not run while the app is in the background, and runs again once the user allows it. A failure in
the first half means the app escapes the user's choice; in the second, that it does not recover.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.android.knobs import due_now
from harness.logs.expect import Expect
from harness.plan import BACKGROUND_SETTLE_S, HOLD_S, cost
from harness.plugin import App

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)


@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes the app once it idles in the "
                        "background, so the task does not come back after the restriction is lifted")
@cost(lambda c: 2 * c.ack + HOLD_S + BACKGROUND_SETTLE_S + c.duration(c.app.role_name(ROLE)))
def test_background_restriction_stops_the_task(android: AndroidDriver, timeline: Expect, app: App) -> None:
    """Quick: the job is made due with `cmd jobscheduler run` (scenarios/_knobs.py) once the app has sat in the
    background as long as the OS takes to treat it as idle; restricted, JobScheduler holds it (the implicit
    BACKGROUND_NOT_RESTRICTED constraint); allowed, it runs at once."""
    task = app.role(ROLE)
    android.restrict_background(True)
    android.launch()
    android.home()
    timeline.settle(BACKGROUND_SETTLE_S)
    due_now(android, timeline, task)
    timeline.task_not_fired(task, during_s=HOLD_S)
    job = android.find_job(task)
    assert job is not None and "BACKGROUND_NOT_RESTRICTED" not in job.satisfied, \
        f"{android.name}: the due job is not held by the restriction: {job}"

    timeline.reset()
    android.restrict_background(False)
    timeline.task_fired(task, within_s=timeline.ack_s)

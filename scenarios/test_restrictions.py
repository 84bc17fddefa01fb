"""Background restriction: the user's "Restricted" battery setting stops the task; lifting it brings it back.

Requirement: with `RUN_ANY_IN_BACKGROUND` ignored (Settings → Battery → Restricted) the periodic task
does not run while the app is in the background, and runs again once the user allows it. A failure in
the first half means the app escapes the user's choice; in the second, that it does not recover.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.logs.expect import Expect
from harness.plugin import App

TASK = "sync-orders"


@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes the app once it idles in the "
                        "background, so the task does not come back after the restriction is lifted")
def test_background_restriction_stops_the_task(android: AndroidDriver, app: App, timeline: Expect) -> None:
    period = app.interval_s(TASK)
    android.restrict_background(True)
    timeline.reset()
    android.launch()
    android.home()
    timeline.task_not_fired(TASK, during_s=2 * period)

    timeline.reset()
    android.restrict_background(False)
    timeline.task_fired(TASK, within_s=2 * period)

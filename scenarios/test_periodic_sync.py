"""Periodic sync: the app's periodic background task keeps firing while the app is in the background.

Requirement: `sync-orders` (expo-background-task: one periodic WorkManager job, EXPO_BACKGROUND_WORKER,
every 15 minutes at best) runs again and again while the user is not using the app.

A failure means users see stale data until they open the app. On the OEM phones the battery manager
kills the app after the screen goes off: those cells are expected kills, checked to be attributed to
the right killer. If one of them starts passing, the OEM (or its settings) stopped killing: the test
then fails strictly so the matrix is updated on purpose.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.logs.expect import Expect
from harness.plugin import App

TASK = "sync-orders"


@pytest.mark.known_kill(oem="xiaomi", reason="MIUI PowerKeeper force-stops background apps after screen-off "
                        "unless Autostart and 'No restrictions' are set")
@pytest.mark.known_kill(oem="oppo", reason="ColorOS freezes and kills background apps after screen-off "
                        "unless auto-launch is allowed")
@pytest.mark.known_kill(oem="samsung", reason="One UI's FreecessController freezes idle background apps "
                        "(and 'Put unused apps to sleep' restricts them)")
def test_periodic_task_fires_in_background(android: AndroidDriver, app: App, timeline: Expect) -> None:
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()  # the user puts the phone away
    period = app.interval_s(TASK)
    for _ in range(3):  # three runs in a row, each within two periods (WorkManager's window + Doze)
        timeline.task_fired(TASK, within_s=2 * period)
        timeline.reset()

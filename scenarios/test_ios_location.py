"""Delivery-driver location on iPhone: background location updates need "Always" and keep the app running.

Requirement: once the user has answered the system prompts with "Allow While Using App" and then
"Change to Always Allow", the location task (role `location`) (expo-location background updates) keeps getting
location batches with the app in the background, again and again.

A failure means drivers' positions stop when they switch apps: check the permission flow (a "While Using"
answer alone stops updates in background), `UIBackgroundModes` = location, and that updates were started
from the foreground.
"""

from __future__ import annotations

import contextlib

from harness.errors import UiError
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plan import cost
from harness.plugin import App
from harness.ui import UiDriver

ROLE = "location"  # the role in devices.toml [[app.task]] (docs/adopting.md)


@cost(lambda c: c.prompt + 9 * c.period(c.app.role_name(ROLE)))
def test_iphone_location_updates_continue_in_background_with_always(ios: IOSDriver, ui: UiDriver, app: App,
                                                                    timeline: Expect) -> None:
    # A phone that answered in an earlier run shows no prompt: whether it was "Always" shows in the updates below.
    task = app.role(ROLE)
    with contextlib.suppress(UiError):
        ui.grant_background_location()
    ios.home()
    period = app.interval_s(task)
    for _ in range(3):
        timeline.reset()
        timeline.task_fired(task, within_s=3 * period, trigger="location")
    assert ios.process().running, f"{ios.name}: the app was suspended despite background location"

"""Reboot on an iPhone: no background work before the first unlock, background work again after it.

After a restart an iPhone is locked and its apps' data containers are still encrypted (data protection: the
class keys are unavailable until the user unlocks once), so iOS launches no data-protected app in the background
— no BGTask, no background fetch — until the user unlocks it; from then on the app's scheduled work is granted
again without the user opening it.

A failure before the unlock means the app ran with its container locked (on a real phone it would crash or
read nothing: plan for that in the app). A failure after the unlock means a restart silently ends the app's
background refresh until the user happens to open it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plan import HOUR, cost
from harness.plugin import App
from harness.ui import UiDriver

FETCH_ROLE = "fetch"  # the role in devices.toml [[app.task]] (docs/adopting.md)


@pytest.fixture
def unlocked_afterwards(ui: UiDriver) -> Iterator[None]:
    """Leave the phone unlocked whatever the test did, as the next test on it expects."""
    yield
    if ui.is_locked():
        ui.unlock()


@pytest.mark.usefixtures("unlocked_afterwards")
@pytest.mark.tier("soak")  # iOS's own schedule after a restart: hours, with no knob to shorten it
@cost(lambda c: c.reboot + 15 * HOUR)
def test_iphone_runs_background_work_only_after_the_first_unlock(ios: IOSDriver, ui: UiDriver,
                                                                 timeline: Expect, app: App) -> None:
    fetch = app.role(FETCH_ROLE)
    ios.launch()  # a used app: iOS grants it background time (a fetch within ~1 h otherwise)
    ios.home()

    timeline.reset()  # before the restart: a launch the boot started before restart() returned must count too
    ios.reboot()
    assert ui.is_locked(), f"{ios.name} came back from the restart unlocked"
    timeline.task_not_fired(fetch, during_s=3 * HOUR)

    ui.unlock()
    timeline.reset()
    timeline.task_fired(fetch, within_s=12 * HOUR, trigger=("fetch", "bgtask"))

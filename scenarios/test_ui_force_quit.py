"""The user's force-quit: the app's card swiped away in the app switcher, through Appium as a user does it.

A swipe is not `am force-stop` and not a process kill, and what it does depends on the phone:

- iOS: the app is terminated and flagged. Until the user opens it again, iOS launches it in the
  background for nothing — no BGTask, no background fetch, no silent push (Apple's
  `application(_:didReceiveRemoteNotification:fetchCompletionHandler:)` documentation).
- Pixel (stock Android): the task leaves Recents; the process may go, but scheduled jobs stay and run.
- MIUI: the swipe kills the process ("OneKeyClean", unless the card is locked); jobs and alarms survive
  the kill (it is not a force-stop), so the periodic job comes back on its own.

A failure on the iPhone means background work survived a user force-quit (the app would be misreported
as working in the field); on Android it means the periodic job dies with a swipe a user makes every day.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.android.knobs import due_now
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plan import BACKGROUND_SETTLE_S, HOUR, cost
from harness.plugin import App
from harness.ui import UiDriver

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)
FETCH_ROLE = "fetch"  # the role in devices.toml [[app.task]] (docs/adopting.md)


@pytest.mark.tier("soak")  # iOS's own schedule: hours, with no knob to shorten it
@cost(lambda c: c.ack + 18 * HOUR)
def test_iphone_user_force_quit_stops_background_launches_until_opened(ios: IOSDriver, ui: UiDriver,
                                                                        timeline: Expect, app: App) -> None:
    fetch = app.role(FETCH_ROLE)
    ui.open_app()
    ios.home()
    timeline.reset()
    ui.force_quit_like_user()
    quit_event = timeline.killed(by="user", within_s=timeline.ack_s)  # the swipe's own line
    assert "app switcher" in (quit_event.reason or ""), f"{ios.name}: not a switcher force-quit: {quit_event}"
    timeline.reset()
    timeline.task_not_fired(fetch, during_s=6 * HOUR)  # a used app gets a fetch within ~1 h otherwise

    timeline.reset()
    ui.open_app()  # the user opens it: iOS may launch it in the background again
    ios.home()
    timeline.task_fired(fetch, within_s=12 * HOUR, trigger=("fetch", "bgtask"))


# Not on One UI: FreecessController freezes the idle background app within a minute whatever the swipe did,
# so the job's next run depends on the freeze, not the swipe (test_periodic_sync shows that expected kill).
@pytest.mark.oem("google", "oppo", "xiaomi")
@cost(lambda c: BACKGROUND_SETTLE_S + c.ack + c.duration(c.app.role_name(ROLE)))
def test_periodic_job_survives_a_recents_swipe(android: AndroidDriver, ui: UiDriver, timeline: Expect,
                                               app: App) -> None:
    """Quick: once the swiped app has sat in the background as long as the OS takes to treat it as idle, its job is
    made due with `cmd jobscheduler run` (scenarios/_knobs.py) instead of waiting a period; it runs."""
    task = app.role(ROLE)
    ui.open_app()
    android.home()
    ui.force_quit_like_user()
    assert android.find_job(task) is not None, f"{android.name}: the swipe cancelled the periodic job"
    timeline.settle(BACKGROUND_SETTLE_S)
    due_now(android, timeline, task)
    timeline.task_fired(task, within_s=timeline.ack_s)


@pytest.mark.oem("xiaomi")
@cost(lambda c: c.ack)
def test_miui_recents_swipe_kills_the_app_with_its_signature(android: AndroidDriver, ui: UiDriver,
                                                            timeline: Expect) -> None:
    """MIUI's recents clean-up kills the app's process at once (logged as ``OneKeyClean``); the harness must
    attribute that kill to MIUI, not to Android's low-memory killer, or kill reports from the field mislead."""
    ui.open_app()
    android.home()
    timeline.reset()
    ui.force_quit_like_user()
    killed = timeline.killed(within_s=timeline.ack_s)  # the swipe's own kill line
    assert killed.killer == "miui", f"{android.name}: the swipe kill was attributed to {killed.killer!r}"
    assert not android.process().running

"""Delivery-driver location on Android: background updates run in a `location` foreground service.

Requirement (issue 8): with location allowed "all the time", the location task (role `location`) (expo-location
background updates) runs in a foreground service of type `location` (`dumpsys activity services`:
`isForeground=true`, type bit 0x08) with its ongoing notification in the shade. The service, the
process and the location batches survive the screen going off and Doze. `am force-stop` (Settings →
Force stop) ends the service, its notification and the batches until the user opens the app again.

A failure before the force-stop means drivers' positions stop once the phone is in a pocket: look at
the permission flow (without "Allow all the time" no service starts) and at who stopped the app. Note
what passing means: the service keeps the process and the location requests alive, but expo-location
runs the JS task for each batch in a JobScheduler job, and Doze (light Doze minutes after screen-off,
deep Doze on a still phone) holds those jobs for the app like for any other that is not on the Doze
whitelist (AOSP DeviceIdleJobsController [inferred]): the runs come in bursts at maintenance windows.
A failure after the force-stop means the app escapes the user's stop, or does not resume tracking when
the driver opens it again.

Per OEM (docs/oem-profiles.md): a Pixel and One UI keep the service (One UI's freezer spares foreground
services, and Samsung promises since One UI 6 that foreground services of apps targeting Android 14 run
as intended). MIUI's screen-off clean-up and ColorOS's freeze-then-kill stop background apps without
Autostart / auto-launch whatever they run: those cells are expected kills, attributed to the OEM's killer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.android import AndroidDriver
from harness.android.fgs_dump import ForegroundService
from harness.logs.expect import Expect
from harness.plan import cost
from harness.plugin import App
from harness.ui import UiDriver

ROLE = "location"  # the role in devices.toml [[app.task]] (docs/adopting.md)
# Screen off (light Doze first, then deep Doze) for longer than MIUI's screen-off clean-up delay (5–15 min)
# and ColorOS's freeze (1–3 min), so an OEM kill of the app happens inside the test.
SCREEN_OFF_S = 15 * 60.0
# Light Doze starts light_after_inactive_to (4 min; 60 s on Android 13) after screen-off and holds jobs for
# its first idle period, light_idle_to (5 min) plus light_idle_to_initial_flex (1 min), until a maintenance
# window (android.md §1.5, DeviceIdleController constants). Watching 5 min takes in that window.
LIGHT_DOZE_WATCH_S = 5 * 60.0
FIRST_LIGHT_IDLE_S = 6 * 60.0


@pytest.fixture(autouse=True)
def location_is_taken_back(android: AndroidDriver) -> Iterator[None]:
    """Leave the phone as found: without this, the grant made here keeps a location foreground service
    running in every later test on the phone (and One UI's freezer spares such apps)."""
    yield
    android.revoke_location()


def _start_tracking(android: AndroidDriver, ui: UiDriver, timeline: Expect, task: str, period: float) -> None:
    """Open the app; the first time, answer its location prompts the way a driver does ("While using the
    app", then "Allow all the time"). A phone that answered in an earlier run starts tracking at once."""
    launched = timeline.reset()
    android.launch()
    # The app starts its location service at launch when it may (a task_start alone can be a batch queued before a
    # kill: it says nothing of the new process); the service's start is in the events buffer.
    started = f"am_foreground_service_start: [0,{android.package}/"
    if timeline.stream.wait_for_line(started, launched, period) is None:
        ui.grant_background_location()
    timeline.reset()
    timeline.task_fired(task, within_s=2 * period)


def _location_service(android: AndroidDriver) -> ForegroundService:
    """The app's `location` foreground service, checked against its notification in the shade."""
    service = android.foreground_service("location")
    assert service is not None, f"{android.name}: no `location` foreground service: {android.foreground_services()}"
    assert service.notification is not None and service.notification.foreground_service, \
        f"{android.name}: the service has no foreground notification: {service}"
    posted = [n for n in android.notifications() if n.notification_id == service.foreground_id]
    assert posted and posted[0].foreground_service, \
        f"{android.name}: notification {service.foreground_id} of the service is not in the shade"
    return service


@pytest.mark.known_kill(oem="xiaomi", reason="MIUI's screen-off clean-up (PowerKeeper) force-stops background "
                        "apps without Autostart and 'No restrictions', foreground service or not")
@pytest.mark.known_kill(oem="oppo", reason="ColorOS freezes (hans) and then kills (athena) background apps after "
                        "screen-off unless auto-launch is allowed, foreground service or not")
@pytest.mark.known_kill(oem="huawei", reason="PowerGenie's screen-off clean-up force-stops background apps without "
                        "'Manage manually' in App launch, foreground service or not (an active GPS request protects "
                        "navigation apps only)")
@cost(lambda c: c.prompt + 7 * c.period(c.app.role_name(ROLE)) + FIRST_LIGHT_IDLE_S + SCREEN_OFF_S + 2 * c.ack)
def test_location_service_survives_screen_off_and_doze(android: AndroidDriver, ui: UiDriver, app: App,
                                                       timeline: Expect) -> None:
    task = app.role(ROLE)
    period = app.interval_s(task)
    _start_tracking(android, ui, timeline, task, period)
    android.home()
    pid = _location_service(android).pid

    android.unplug()
    android.screen_off()  # the driver pockets the phone
    off = timeline.reset().device_time
    assert off is not None
    while True:  # light Doze: runs keep coming, held at most until its next maintenance window
        run = timeline.task_fired(task, within_s=FIRST_LIGHT_IDLE_S + period)
        timeline.reset()
        assert run.time is not None
        if run.time - off >= LIGHT_DOZE_WATCH_S:
            break

    timeline.reset()
    android.force_idle()
    assert android.doze_states().deep == "IDLE"
    timeline.dozed("IDLE", within_s=timeline.ack_s)  # a batch logged just before the idle is read before the mark
    idle = timeline.reset().device_time
    assert idle is not None
    # Deep IDLE until the screen has been off SCREEN_OFF_S: the batches' jobs wait for the window.
    timeline.task_not_fired(task, during_s=max(2 * period, off + SCREEN_OFF_S - idle))
    timeline.still_running()  # nobody stopped the app meanwhile (an OEM kill is attributed here)
    assert _location_service(android).pid == pid, f"{android.name}: the service did not survive Doze in its process"

    timeline.reset()  # mark first, then act: the held jobs start as the window opens
    assert android.step_idle() == "IDLE_MAINTENANCE"
    timeline.task_fired(task, within_s=timeline.ack_s)


@cost(lambda c: c.prompt + 11 * c.period(c.app.role_name(ROLE)) + c.ack)
def test_force_stop_ends_location_service_until_relaunch(android: AndroidDriver, ui: UiDriver, app: App,
                                                         timeline: Expect) -> None:
    task = app.role(ROLE)
    period = app.interval_s(task)
    _start_tracking(android, ui, timeline, task, period)
    android.home()
    before = _location_service(android)

    timeline.reset()
    android.force_stop()
    timeline.killed(by="user", within_s=timeline.ack_s)  # the stop's own line: every line before it is in now
    timeline.reset()  # after the stop: a batch that began just before it is not the app escaping it
    state = android.process()
    assert not state.running and state.stopped, f"{android.name}: still running after force-stop: {state}"
    assert android.foreground_services() == [], f"{android.name}: a service survived the force-stop"
    assert android.notifications() == [], f"{android.name}: the service's notification survived the force-stop"
    timeline.task_not_fired(task, during_s=5 * period)

    timeline.reset()
    android.launch()  # the driver opens the app: expo-location restarts its service from the activity
    android.home()
    timeline.task_fired(task, within_s=2 * period)
    after = _location_service(android)
    assert after.pid != before.pid, f"{android.name}: the service did not come back in a new process"

"""harness.ui on the lab's iPhones: the switcher force-quit, the location prompts, launch arguments, the
diagnostics screen, and the iOS driver's ``process_control = "appium"`` path."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.contracts.probe import RUN_TASK_ARGUMENT
from harness.ios.driver import IOSDriver
from harness.lab.ios.os import IOSModel
from harness.ui import AppiumProcessControl, AppState, UiDriver
from tests.labkit import RunningLab

BUNDLE = "com.example.courier"
PUSH = {"aps": {"content-available": 1}}


def model(lab: RunningLab, name: str) -> IOSModel:
    """The phone's OS model: the APNs stand-in delivers pushes to it, and tests read its state."""
    mux = lab.thread.lab.usbmuxd
    assert mux is not None
    system = next(p for p in mux.devices if p.name == name).system
    assert isinstance(system, IOSModel)
    return system


def _reset(lab: RunningLab, name: str) -> None:
    system = model(lab, name)

    def reset() -> None:
        pid = system.pid_for_bundle(BUNDLE)
        if pid:
            system.kill(pid)
        system.force_quit.discard(BUNDLE)
        system.set_location_authorization(BUNDLE, "not_determined")

    lab.call(reset)


@pytest.fixture
def ui(lab: RunningLab, request: pytest.FixtureRequest) -> Iterator[UiDriver]:
    name = request.param
    _reset(lab, name)
    driver = UiDriver(lab.cfg, lab.cfg.device(name))
    try:
        yield driver
    finally:
        driver.close()
        _reset(lab, name)


@pytest.mark.parametrize("ui", ["iphone-15"], indirect=True)
def test_switcher_force_quit_stops_background_work_until_the_user_opens_the_app(lab: RunningLab, ui: UiDriver) -> None:
    system = model(lab, "iphone-15")
    ui.open_app()
    ui.background_app()
    assert lab.call(system.blocked, BUNDLE) is None
    ui.force_quit_like_user()
    assert ui.app_state() == AppState.NOT_RUNNING
    assert lab.call(system.blocked, BUNDLE) == "force-quit by the user"  # no BGTask, no fetch
    assert lab.call(system.deliver_silent_push, BUNDLE, PUSH) == "dropped"
    ui.open_app()
    ui.background_app()
    assert lab.call(system.blocked, BUNDLE) is None
    assert lab.call(system.deliver_silent_push, BUNDLE, PUSH) != "dropped"


@pytest.mark.parametrize("ui", ["iphone-15"], indirect=True)
def test_process_control_through_appium(lab: RunningLab, ui: UiDriver) -> None:
    system = model(lab, "iphone-15")
    driver = IOSDriver.for_device(lab.cfg, lab.cfg.device("iphone-15"), appium=AppiumProcessControl(ui))
    pid = driver.launch([RUN_TASK_ARGUMENT, "refresh-feed"])
    assert pid == lab.call(system.pid_for_bundle, BUNDLE) > 0
    assert driver.pid() == pid
    driver.home()
    assert ui.app_state() in (AppState.RUNNING_IN_BACKGROUND, AppState.RUNNING_IN_BACKGROUND_SUSPENDED)
    assert driver.pid() == pid  # the pid last seen for the app in the background
    assert driver.kill() is True
    # that process is gone (on this 600x clock the OS may launch the app again in the background within a wall
    # second, under a new pid: under a CPU hog it did, as pid 603)
    assert driver.pid() != pid and lab.call(system.pid_for_bundle, BUNDLE) != pid
    assert BUNDLE not in lab.call(lambda: set(system.force_quit))  # a kill, not the user's force-quit


@pytest.mark.parametrize("ui", ["iphone-15"], indirect=True)
def test_always_allow_through_both_prompts(lab: RunningLab, ui: UiDriver) -> None:
    ui.grant_background_location()
    assert lab.call(model(lab, "iphone-15").location_authorization, BUNDLE) == "always"
    assert "XCUIElementTypeAlert" not in ui.page_source()


@pytest.mark.parametrize("ui", ["iphone-12"], indirect=True)
def test_dont_allow(lab: RunningLab, ui: UiDriver) -> None:
    ui.deny_location()
    assert lab.call(model(lab, "iphone-12").location_authorization, BUNDLE) == "denied"
    ui.open_app()
    assert "XCUIElementTypeAlert" not in ui.page_source()


@pytest.mark.parametrize("ui", ["iphone-12"], indirect=True)
def test_launch_arguments_run_the_task_and_the_diagnostics_screen_shows_it(lab: RunningLab, ui: UiDriver) -> None:
    lab.call(model(lab, "iphone-12").set_location_authorization, BUNDLE, "denied")  # no prompt over the app
    ui.launch_app([RUN_TASK_ARGUMENT, "refresh-feed"], {"BGPROBE_LAB": "1"})
    assert ui.app_state() == AppState.RUNNING_IN_FOREGROUND
    deadline = time.monotonic() + 20
    while True:
        events = ui.diagnostics()
        ends = [e for e in events if e["event"] == "task_end" and e["task"] == "refresh-feed"]
        if ends:
            break
        assert time.monotonic() < deadline, events[:5]
        time.sleep(0.1)  # the run takes 2 s of phone time; the screen shows it after a Refresh
    start = next(e for e in events if e["event"] == "task_start" and e["task"] == "refresh-feed"
                 and e["run"] == ends[0]["run"])
    assert start["trigger"] == "test"
    ui.open_deep_link("courier://orders/7")
    assert ui.app_state() == AppState.RUNNING_IN_FOREGROUND

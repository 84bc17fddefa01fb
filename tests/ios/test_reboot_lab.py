"""Reboot and unlock on the virtual iPhones, through the real clients: ``IOSDriver.reboot`` over pymobiledevice3
(diagnostics_relay ``Restart``, usbmuxd ``Detached``/``Attached``, lockdownd answering again), the syslog
capture following the reboot, and XCUITest's ``mobile: unlock`` / ``mobile: isLocked`` through the Appium
client (``UiDriver.unlock``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymobiledevice3.exceptions import PyMobileDevice3Exception
from pymobiledevice3.lockdown import LockdownClient
from pymobiledevice3.services.diagnostics import DiagnosticsService

from harness.errors import CommandFailed
from harness.ios import IOSDriver
from harness.ui import UiDriver
from tests.labkit import RunningLab

TASK = "sync-orders"


def _lock_state(lab: RunningLab, name: str) -> tuple[bool, bool]:
    """(locked, unlocked once since boot), as the model holds them."""
    system = lab.iphone_model(name)
    state: tuple[bool, bool] = lab.call(lambda: (system.state.locked, system.state.first_unlocked))
    return state


def test_reboot_restarts_the_phone_and_the_capture_follows_it(ios_lab: RunningLab, tmp_path: Path) -> None:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device("iphone-12"))
    capture, stream = driver.capture(tmp_path / "syslog.txt")
    timeline = driver.expect(stream)
    try:
        old_pid = driver.launch()
        assert old_pid > 0
        driver.reboot(timeout_s=60)
        assert driver.history[-1].verb == "reboot"
        assert _lock_state(ios_lab, "iphone-12") == (True, False)
        assert driver.os_version == "16.7.10"  # lockdownd answers on a fresh session
        assert driver.pid() == 0, "the app's process survived the reboot"
        with pytest.raises(CommandFailed, match="could not be, unlocked"):
            driver.launch()  # FrontBoard refuses a launch on a locked phone

        lab_system = ios_lab.iphone_model("iphone-12")
        ios_lab.call(lab_system.unlock)  # the user's first unlock (the Appium path is the next test's)
        timeline.reset()
        driver.trigger_task(TASK)
        started = timeline.task_fired(TASK, within_s=120)  # seen by the capture, reconnected after the reboot
        assert started.reason == "test"
    finally:
        capture.stop()


def test_appium_unlock_is_the_first_unlock_after_a_reboot(ios_lab: RunningLab) -> None:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device("iphone-15"))
    ui = UiDriver(ios_lab.cfg, ios_lab.cfg.device("iphone-15"))
    try:
        assert ui.is_locked() is False
        driver.reboot(timeout_s=60)
        assert ui.is_locked() is True
        assert _lock_state(ios_lab, "iphone-15") == (True, False)
        ui.unlock()
        assert ui.is_locked() is False
        assert _lock_state(ios_lab, "iphone-15") == (False, True)
    finally:
        ui.close()


def test_diagnostics_relay_refuses_what_it_does_not_model_and_does_not_restart(ios_lab: RunningLab) -> None:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device("iphone-12"))

    async def sleep(lockdown: LockdownClient) -> None:
        async with DiagnosticsService(lockdown) as diagnostics:
            await diagnostics.sleep()  # type: ignore[no-untyped-call]

    before = _lock_state(ios_lab, "iphone-12")
    with pytest.raises(CommandFailed) as info:
        driver.transport.call("diagnostics_relay Sleep", sleep)
    assert isinstance(info.value.__cause__, PyMobileDevice3Exception)
    assert _lock_state(ios_lab, "iphone-12") == before
    assert driver.os_version == "16.7.10"  # still up: no reboot followed the refused request

"""The iOS driver against the virtual iPhones, through the real pymobiledevice3 (usbmuxd → lockdownd → services)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import Config
from harness.errors import CommandFailed, DeviceUnreachable
from harness.ios import IOSDriver
from harness.ios.syslog import SyslogCapture
from harness.logs.expect import Expect
from harness.logs.stream import EventStream
from tests.labkit import RunningLab, free_port
from tests.labkit import test_config as lab_config

BUNDLE = "com.example.courier"
TASK = "sync-orders"


@pytest.fixture
def iphone12(ios_lab: RunningLab, tmp_path: Path) -> Iterator[tuple[IOSDriver, Expect, EventStream]]:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device("iphone-12"))
    capture, stream = driver.capture(tmp_path / "syslog.txt")
    try:
        yield driver, driver.expect(stream), stream
    finally:
        capture.stop()


def test_identity_apps_processes_and_battery(ios_lab: RunningLab) -> None:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device("iphone-12"))
    values = driver.values()
    assert (values["ProductType"], values["ProductVersion"]) == ("iPhone13,2", "16.7.10")
    assert driver.os_version == "16.7.10"
    assert BUNDLE in driver.apps() and driver.installed()
    assert "SpringBoard" in driver.processes().values()
    assert isinstance(driver.battery()["BatteryCurrentCapacity"], int)
    assert driver.device_time() is not None


def test_dvt_launch_pid_kill_and_the_probe_trigger(iphone12: tuple[IOSDriver, Expect, EventStream]) -> None:
    driver, timeline, _ = iphone12
    pid = driver.launch()
    assert driver.pid() == pid and driver.processes()[pid] == "Courier"
    driver.home()
    timeline.reset()
    driver.trigger_task(TASK)
    started = timeline.task_fired(TASK, within_s=120)
    assert started.reason == "test" and started.package == BUNDLE
    ring = driver.ring_buffer()
    assert {"event": "task_start", "task": TASK, "trigger": "test"}.items() <= ring[-1].items() or any(
        e.get("event") == "task_start" and e.get("trigger") == "test" for e in ring)
    timeline.reset()
    assert driver.kill()
    # an hour of device time is 6 s of wall time at this lab's 600x: room for a loaded host's round trips (60 s,
    # 0.1 s of wall, ended before the kill line of a DVT kill made beside a CPU hog); the kill still comes first
    died = timeline.killed(within_s=3600)
    assert died.kind == "kill" and died.package == BUNDLE and died.killer != "user"
    assert driver.pid() != pid  # that process is gone (at 600x the OS may have launched the app again since)


def test_unknown_task_and_release_builds_are_refused_with_the_fix(ios_lab: RunningLab) -> None:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device("iphone-12"))
    with pytest.raises(CommandFailed, match="no task named 'nope'"):
        driver.trigger_task("nope")
    driver.debuggable = False
    with pytest.raises(CommandFailed, match="debug build"):
        driver.trigger_task(TASK)


def test_dvt_on_ios_18_names_the_missing_developer_service(ios_lab: RunningLab) -> None:
    dev = dataclasses.replace(ios_lab.cfg.device("iphone-15"), process_control="dvt")
    driver = IOSDriver.for_device(ios_lab.cfg, dev)
    with pytest.raises(CommandFailed) as info:
        driver.launch()
    assert info.value.device == "iphone-15" and "developer" in str(info.value)


def test_no_process_control_configured_says_how_to_set_it(ios_lab: RunningLab) -> None:
    dev = dataclasses.replace(ios_lab.cfg.device("iphone-12"), process_control=None)
    with pytest.raises(CommandFailed, match="process_control"):
        IOSDriver.for_device(ios_lab.cfg, dev).launch()


@pytest.mark.parametrize("where", ["dead usbmuxd", "unknown udid"])
def test_unreachable_phone_is_a_clear_error(ios_lab: RunningLab, where: str) -> None:
    dev = ios_lab.cfg.device("iphone-12")
    if where == "dead usbmuxd":
        dev = dataclasses.replace(dev, usbmux=f"127.0.0.1:{free_port()}")
    else:
        dev = dataclasses.replace(dev, udid="00008101-00000000000000FF")
    with pytest.raises(DeviceUnreachable) as info:
        IOSDriver.for_device(ios_lab.cfg, dev, timeout_s=5).values()
    assert info.value.device == "iphone-12" and info.value.fix


# -- the background model through the driver, on fast clocks ------------------------------------------------
DAY_S = 86_400.0


def _fast_lab(rate: float) -> Config:
    """iphone-12 and a second iOS 16 phone ("iphone-12b"), on a clock fast enough to watch days pass."""
    cfg = lab_config(clock_rate=rate, names=("iphone-12",))
    first = dataclasses.replace(cfg.devices[0], clock_rate=None)  # the lab's rate, not devices.toml's
    second = dataclasses.replace(first, name="iphone-12b", udid="00008101-000A1D2C3E4F002E")
    return dataclasses.replace(cfg, devices=(first, second))


@pytest.fixture(scope="module")
def fast_lab() -> Iterator[RunningLab]:
    running = RunningLab(_fast_lab(28800))
    running.thread.start()
    try:
        yield running
    finally:
        running.thread.stop()


def _capture(lab: RunningLab, name: str, path: Path) -> tuple[IOSDriver, SyslogCapture, EventStream]:
    driver = IOSDriver.for_device(lab.cfg, lab.cfg.device(name))
    capture, stream = driver.capture(path)
    return driver, capture, stream


# What iOS hands out at its discretion: BGTask launches (processing ones only while the phone is idle, i.e.
# locked, which a lab phone on a desk is not) and legacy background fetch. Both follow engagement.
DISCRETIONARY = ("bgtask", "fetch")


def _discretionary_runs(stream: EventStream, after: float) -> int:
    return sum(1 for e in stream.events if e.kind == "task_start" and e.reason in DISCRETIONARY
               and e.time is not None and e.time >= after)


def test_engagement_an_app_opened_daily_gets_slots_an_ignored_one_starves(fast_lab: RunningLab,
                                                                          tmp_path: Path) -> None:
    used, used_cap, used_stream = _capture(fast_lab, "iphone-12", tmp_path / "used.txt")
    ignored, ignored_cap, ignored_stream = _capture(fast_lab, "iphone-12b", tmp_path / "ignored.txt")
    try:
        for driver in (used, ignored):
            driver.launch()
            driver.home()
        start = used.device_time()
        assert start is not None
        for day in range(1, 5):  # the user opens one app every day and never the other
            used_stream.wait_quiet_until(start + day * DAY_S)
            used.launch()
            used.home()
        ignored_now = ignored.device_time()
        assert ignored_now is not None
        ignored_stream.wait_quiet_until(ignored_now + 0.5 * DAY_S)
        used_stream.wait_quiet_until(start + 5 * DAY_S)
        # From day 3 on, the ignored app has used up what its single open earned; the used one has not.
        assert _discretionary_runs(used_stream, start + 3 * DAY_S) >= 1
        assert _discretionary_runs(ignored_stream, start + 3 * DAY_S) == 0
    finally:
        used_cap.stop()
        ignored_cap.stop()


def test_after_a_dvt_kill_background_tasks_still_fire(fast_lab: RunningLab, tmp_path: Path) -> None:
    driver, capture, stream = _capture(fast_lab, "iphone-12", tmp_path / "kill.txt")
    try:
        driver.launch()
        driver.home()
        timeline = driver.expect(stream)
        assert driver.kill()
        timeline.reset()
        fired = stream.wait_for(lambda e: e.kind == "task_start" and e.reason in DISCRETIONARY,
                                timeline.mark, 2 * DAY_S)
        assert fired is not None, "a process kill is not a force-quit: BGTask launches must go on"
    finally:
        capture.stop()

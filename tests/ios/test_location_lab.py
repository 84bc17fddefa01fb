"""The iOS driver's location verbs against the virtual iPhones, through the real pymobiledevice3 and Appium
client: DVT LocationSimulation, the ``com.apple.dt.simulatelocation`` service, XCUITest's simulated location,
and the probe's geofence launch argument with a crossing that runs the geofence task."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.contracts.geofence import AWAY, DOCUMENTED_LIMITS, region_center
from harness.errors import CommandFailed
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.ui import AppiumProcessControl, UiDriver
from tests.labkit import RunningLab

BUNDLE = "com.example.courier"
TASK = "depot-geofence"


def _position(lab: RunningLab, name: str) -> tuple[float, float] | None:
    system = lab.iphone_model(name)
    position: tuple[float, float] | None = lab.call(lambda: system.location.position)
    return position


def _settled_position(lab: RunningLab, name: str, expected: tuple[float, float] | None,
                      timeout_s: float = 5.0) -> tuple[float, float] | None:
    """The service has no reply (the client writes and hangs up), so the phone applies it a moment later."""
    deadline = time.monotonic() + timeout_s
    position = _position(lab, name)
    while position != expected and time.monotonic() < deadline:
        time.sleep(0.01)
        position = _position(lab, name)
    return position


@pytest.fixture
def iphone12(lab: RunningLab, tmp_path: Path) -> Iterator[tuple[IOSDriver, Expect]]:
    system = lab.iphone_model("iphone-12")
    lab.call(system.set_location_authorization, BUNDLE, "always")
    driver = IOSDriver.for_device(lab.cfg, lab.cfg.device("iphone-12"))
    capture, stream = driver.capture(tmp_path / "syslog.txt")
    try:
        yield driver, driver.expect(stream)
    finally:
        driver.restore()
        capture.stop()
        lab.call(system.set_location_authorization, BUNDLE, "not_determined")


def test_dvt_location_simulation_moves_the_phone_and_restore_stops_it(
        lab: RunningLab, iphone12: tuple[IOSDriver, Expect]) -> None:
    driver, _ = iphone12
    driver.simulate_location(52.5, 5.25)
    assert _position(lab, "iphone-12") == (52.5, 5.25)
    assert driver.history[-1].command == "simulate_location 52.500000,5.250000"
    assert driver.restore() == []
    assert _position(lab, "iphone-12") is None
    assert driver.restore() == []  # nothing left to undo


def test_the_launch_argument_limits_monitoring_and_a_crossing_runs_the_task(
        lab: RunningLab, iphone12: tuple[IOSDriver, Expect]) -> None:
    driver, timeline = iphone12
    limit = DOCUMENTED_LIMITS["ios"].regions
    driver.leave_regions()
    timeline.reset()
    driver.launch_with_geofences(limit + 2)
    assert "region depot-geofence-20:" in timeline.logged(DOCUMENTED_LIMITS["ios"].rejection, within_s=60)
    system = lab.iphone_model("iphone-12")
    assert lab.call(lambda: len(system.location.regions[BUNDLE])) == limit
    driver.home()
    timeline.reset()
    driver.enter_region(limit - 1)
    started = timeline.task_fired(TASK, within_s=120, trigger="geofence")
    assert started.package == BUNDLE
    timeline.reset()
    driver.simulate_location(*region_center(limit + 1))  # leaves region 19 (an exit), enters an unmonitored one
    timeline.task_fired(TASK, within_s=120, trigger="geofence")
    timeline.reset()
    driver.leave_regions()
    timeline.task_not_fired(TASK, during_s=120)


def test_the_lockdown_simulatelocation_service_without_process_control(lab: RunningLab) -> None:
    dev = dataclasses.replace(lab.cfg.device("iphone-12"), process_control=None)
    driver = IOSDriver.for_device(lab.cfg, dev)
    driver.simulate_location(*AWAY)
    assert _settled_position(lab, "iphone-12", AWAY) == AWAY
    driver.stop_simulating_location()
    assert _settled_position(lab, "iphone-12", None) is None


def test_ios_18_has_no_lockdown_simulatelocation_and_says_so(lab: RunningLab) -> None:
    dev = dataclasses.replace(lab.cfg.device("iphone-15"), process_control=None)
    with pytest.raises(CommandFailed, match="does not offer this service") as info:
        IOSDriver.for_device(lab.cfg, dev).simulate_location(*AWAY)
    assert info.value.device == "iphone-15"


def test_xcuitest_simulated_location_through_appium(lab: RunningLab) -> None:
    ui = UiDriver(lab.cfg, lab.cfg.device("iphone-15"))
    try:
        driver = IOSDriver.for_device(lab.cfg, lab.cfg.device("iphone-15"), appium=AppiumProcessControl(ui))
        driver.simulate_location(52.41, 5.32)
        assert _position(lab, "iphone-15") == (52.41, 5.32)
        assert ui.session.execute("getSimulatedLocation") == {"latitude": 52.41, "longitude": 5.32, "altitude": None}
        assert driver.restore() == []
        assert _position(lab, "iphone-15") is None
        assert ui.session.execute("getSimulatedLocation")["latitude"] is None
    finally:
        ui.close()

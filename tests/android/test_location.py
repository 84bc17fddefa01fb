"""The Android driver's location verbs against the lab, through the real adb server: the mock GPS provider,
the location grants, the probe's geofence launch extra, and the crossing that runs the geofence task."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.android import AndroidDriver
from harness.contracts.geofence import AWAY, DOCUMENTED_LIMITS, region_center
from harness.lab.android.os.apps import app_of
from harness.logs.expect import Expect
from tests.labkit import RunningLab
from tests.labkit import test_config as lab_config

PKG = "com.example.courier"
TASK = "depot-geofence"


@pytest.fixture(scope="module")
def lab() -> Iterator[RunningLab]:
    """This module's lab, on the virtual clock. A crossing's task has a 5-minute window of device time; on the
    shared lab's clock, running by itself at 600x, a loaded host's round trips for the crossing spent that window
    before the task could run (beside a CPU hog it ran 69 device s after the window closed). Here the clock moves
    only while a wait waits."""
    running = RunningLab(lab_config(names=("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23"), clock="virtual"))
    running.thread.start()
    try:
        yield running
    finally:
        running.thread.stop()
        subprocess.run(["adb", "-P", str(running.adb_port), "kill-server"], capture_output=True, timeout=20,
                       check=False)


def _driver(lab: RunningLab, name: str) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device(name), timeout_s=20)


@pytest.fixture
def pixel(lab: RunningLab, tmp_path: Path) -> Iterator[tuple[AndroidDriver, Expect]]:
    drv = _driver(lab, "pixel-8")
    capture, stream = drv.capture(tmp_path / "logcat.txt")
    try:
        yield drv, drv.expect(stream)
    finally:
        drv.restore()
        capture.stop()
        drv.close()


def _lab_state(lab: RunningLab, name: str) -> tuple[dict[str, tuple[bool, object]], int, int]:
    """(mock providers → (enabled, fix), the app's geofences in Play services, its region count)."""
    dev = lab.device(name)

    def read() -> tuple[dict[str, tuple[bool, object]], int, int]:
        app = app_of(dev, PKG)
        mocks = {n: (m.enabled, m.fix) for n, m in dev.services["location"].mocks.items()}
        return mocks, app.geofencer.count(PKG), app.geofence_regions

    result: tuple[dict[str, tuple[bool, object]], int, int] = lab.call(read)
    return result


def test_mock_location_sets_up_the_test_provider_once_and_undoes_it(lab: RunningLab) -> None:
    drv = _driver(lab, "xiaomi-13")
    drv.mock_location(52.123456, 5.654321)
    drv.leave_regions()
    mocks, _, _ = _lab_state(lab, "xiaomi-13")
    assert mocks == {"gps": (True, (*AWAY, 5.0))}
    assert "MOCK_LOCATION: allow" in lab.shell("xiaomi-13", "appops get com.android.shell android:mock_location").stdout
    assert [r.command for r in drv.history].count("cmd location providers add-test-provider gps") == 1
    assert drv.restore() == []
    assert _lab_state(lab, "xiaomi-13")[0] == {}
    assert "allow" not in lab.shell("xiaomi-13", "appops get com.android.shell android:mock_location").stdout


def test_grant_location_grants_both_and_restore_revokes_them_which_kills_the_app(lab: RunningLab) -> None:
    drv = _driver(lab, "oppo-find-x6")
    granted = lab.device("oppo-find-x6").services["package"].granted
    drv.grant_location()
    assert lab.call(lambda: set(granted.get(PKG, set()))) >= {
        "android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_BACKGROUND_LOCATION"}
    drv.launch()
    pid = drv.process().pid
    drv.restore()
    assert not lab.call(lambda: set(granted.get(PKG, set())) & {"android.permission.ACCESS_FINE_LOCATION",
                                                               "android.permission.ACCESS_BACKGROUND_LOCATION"})
    assert not drv.process().running  # as on a phone: its location service does not outlive the grant
    log = lab.shell("oppo-find-x6", "logcat -d -s ActivityManager:I").stdout
    assert f"Killing {pid}:{PKG}/" in log and "): permissions revoked" in log


def test_the_launch_extra_sets_the_region_count_and_a_crossing_runs_the_task(
        lab: RunningLab, pixel: tuple[AndroidDriver, Expect]) -> None:
    drv, timeline = pixel
    drv.grant_location()
    drv.leave_regions()
    drv.launch_with_geofences(7)
    assert "--ei bgprobe-geofence-regions 7" in drv.history[-1].command
    assert _lab_state(lab, "pixel-8")[1:] == (7, 7)
    drv.home()
    timeline.reset()
    drv.enter_region(8)  # not registered: no transition
    timeline.task_not_fired(TASK, during_s=5 * 60)
    timeline.reset()
    drv.enter_region(6)
    started = timeline.task_fired(TASK, within_s=5 * 60, trigger="geofence")
    assert started.package == PKG


def test_past_the_limit_play_services_logs_the_refusal_and_holds_nothing(
        lab: RunningLab, pixel: tuple[AndroidDriver, Expect]) -> None:
    drv, timeline = pixel
    drv.grant_location()
    drv.mock_location(*region_center(0))  # already inside region 0 when it registers: no event either way
    timeline.reset()
    limit = DOCUMENTED_LIMITS["android"]
    drv.launch_with_geofences(limit.regions + 1)
    line = timeline.logged(limit.rejection, within_s=60)
    assert "GeofencerStateMachine" in line and "limit 100" in line
    assert _lab_state(lab, "pixel-8")[1] == 0


def test_a_running_app_does_not_reread_the_launch_extra_without_a_restart(lab: RunningLab) -> None:
    drv = _driver(lab, "samsung-s23")
    drv.grant_location()
    drv.launch_with_geofences(4)
    lab.shell("samsung-s23", f"am start -a android.intent.action.MAIN -p {PKG} --ei bgprobe-geofence-regions 9")
    assert _lab_state(lab, "samsung-s23")[2] == 4
    drv.restore()

"""harness.ui on the lab's Android phones, checked the way a harness checks a real phone: adb and logcat."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import UiError
from harness.ui import AppState, UiDriver
from tests.labkit import RunningLab

PKG = "com.example.courier"
FINE = "android.permission.ACCESS_FINE_LOCATION"
BACKGROUND = "android.permission.ACCESS_BACKGROUND_LOCATION"
TASK_END = r"I ReactNativeJS: BgProbe v1 task_end task=sync-orders run=\d+ result=success"


def _reset(lab: RunningLab, name: str) -> None:
    lab.shell(name, f"input keyevent 224; input keyevent 3; am force-stop {PKG}; pm revoke {PKG} {FINE}; "
                    f"pm revoke {PKG} {BACKGROUND}")


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


def _log(lab: RunningLab, name: str) -> str:
    return lab.adb(name, "logcat", "-d").stdout


def _now(lab: RunningLab, name: str) -> str:
    """The phone's time, as ``logcat -T`` reads it back (epoch seconds with a fraction)."""
    return lab.shell(name, "date +%s.%N").stdout.strip()


def _wait_for(lab: RunningLab, name: str, pattern: str, *, since: str, timeout_s: float = 20.0) -> str:
    """A line matching ``pattern`` logged at or after the phone time ``since``. Read with ``logcat -d -T since``,
    not by counting matches in the whole ring: the background log fills the ring, and an app that logs as often as
    old lines are pruned keeps a count level while new lines come."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = lab.adb(name, "logcat", "-d", "-T", since).stdout
        if re.search(pattern, log, re.M):
            return log
        if time.monotonic() > deadline:
            raise AssertionError(f"no line matching {pattern!r} in {name}'s logcat since {since}; tail:\n"
                                 + log[-2000:])
        time.sleep(0.1)  # logcat -d is a snapshot: poll it


@pytest.mark.parametrize("ui", ["xiaomi-13"], indirect=True)
def test_xiaomi_user_swipe_kills_the_app_with_onekeyclean(lab: RunningLab, ui: UiDriver) -> None:
    ui.open_app()
    assert ui.app_state() == AppState.RUNNING_IN_FOREGROUND
    pid = lab.shell("xiaomi-13", f"pidof {PKG}").stdout.strip()
    ui.force_quit_like_user()
    assert ui.app_state() == AppState.NOT_RUNNING
    assert lab.shell("xiaomi-13", f"pidof {PKG}").code == 1
    assert re.search(rf"I ActivityManager: Killing {pid}:{PKG}/u0a\d+ \(adj \d+\): OneKeyClean$",
                     _log(lab, "xiaomi-13"), re.M)


@pytest.mark.parametrize("ui", ["pixel-8"], indirect=True)
def test_pixel_user_swipe_removes_the_task_and_the_periodic_job_keeps_running(lab: RunningLab, ui: UiDriver) -> None:
    ui.open_app()
    pid = lab.shell("pixel-8", f"pidof {PKG}").stdout.strip()
    swiped = _now(lab, "pixel-8")
    ui.force_quit_like_user()
    log = _log(lab, "pixel-8")
    assert re.search(rf"I ActivityManager: Killing {pid}:{PKG}/u0a\d+ \(adj \d+\): remove task$", log, re.M)
    assert not re.search(rf"Killing {pid}:.*OneKeyClean", log)
    assert "androidx.work.impl.background.systemjob.SystemJobService" in lab.shell(
        "pixel-8", f"dumpsys jobscheduler {PKG}").stdout  # not force-stopped: the job is still scheduled
    _wait_for(lab, "pixel-8", TASK_END, since=swiped)  # …and runs in background


@pytest.mark.parametrize("ui", ["pixel-8"], indirect=True)
def test_allow_all_the_time_starts_the_location_foreground_service(lab: RunningLab, ui: UiDriver) -> None:
    ui.open_app()
    assert "permission_deny_button" in ui.page_source()  # the app asked on start
    assert "isForeground=true" not in lab.shell("pixel-8", f"dumpsys activity services {PKG}").stdout
    ui.grant_background_location()
    services = lab.shell("pixel-8", f"dumpsys activity services {PKG}").stdout
    assert re.search(r"isForeground=true foregroundId=481756 types=00000008", services), services
    assert ui.app_state() == AppState.RUNNING_IN_FOREGROUND
    assert "Location permission" not in ui.page_source()  # back in the app


@pytest.mark.parametrize("ui", ["samsung-s23"], indirect=True)
def test_deny_location_leaves_the_app_without_location(lab: RunningLab, ui: UiDriver) -> None:
    ui.deny_location()
    assert "isForeground=true" not in lab.shell("samsung-s23", f"dumpsys activity services {PKG}").stdout
    ui.open_app()
    assert "permission_deny_button" not in ui.page_source()  # asked once per process
    with pytest.raises(UiError, match="location prompt"):
        ui.prompt_timeout_s = 0.2
        ui.grant_background_location()


@pytest.mark.parametrize("ui", ["oppo-find-x6"], indirect=True)
def test_app_control_verbs(lab: RunningLab, ui: UiDriver, tmp_path: Path) -> None:
    assert ui.app_state() == AppState.NOT_RUNNING
    assert ui.kill_app() is False
    ui.launch_app()
    assert ui.app_state() == AppState.RUNNING_IN_FOREGROUND
    with pytest.raises(UiError, match="no launch arguments"):
        ui.launch_app(["--bgprobe-run-task", "sync-orders"])
    ui.background_app()
    assert ui.app_state() == AppState.RUNNING_IN_BACKGROUND
    start = r"I ActivityTaskManager: START u0 \{.*cmp=com\.example\.courier/\.MainActivity\}"
    starts = len(re.findall(start, _log(lab, "oppo-find-x6")))
    ui.open_deep_link("courier://orders/42")  # am start -W -a android.intent.action.VIEW -d … <pkg>
    assert ui.app_state() == AppState.RUNNING_IN_FOREGROUND
    assert len(re.findall(start, _log(lab, "oppo-find-x6"))) == starts + 1
    shot = ui.screenshot(tmp_path / "shots" / "oppo.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ui.kill_app() is True
    assert lab.shell("oppo-find-x6", f"pidof {PKG}").code == 1


@pytest.mark.parametrize("ui", ["pixel-8"], indirect=True)
def test_diagnostics_reads_the_ring_buffer_off_the_screen(lab: RunningLab, ui: UiDriver) -> None:
    opened = _now(lab, "pixel-8")
    ui.open_app()
    with pytest.raises(UiError, match="permission prompt covers the app"):
        ui.diagnostics()
    ui.grant_background_location()
    ui.background_app()
    _wait_for(lab, "pixel-8", TASK_END, since=opened)
    ring = [json.loads(line) for line in lab.shell("pixel-8", f"run-as {PKG} cat files/bgprobe.jsonl").stdout
            .splitlines()]
    events = ui.diagnostics()
    assert len(events) >= len(ring) > 0  # the app may have logged more since the file was read
    newest_end = next(e for e in reversed(ring) if e["event"] == "task_end")
    match = [e for e in events if e["event"] == "task_end" and e["run"] == str(newest_end["run"])
             and e["task"] == newest_end["task"]]
    assert match and match[0]["result"] == "success"
    assert match[0]["duration_ms"] == str(newest_end["duration_ms"])
    assert events == sorted(events, key=lambda e: e["time"], reverse=True)  # newest first, as rows.ts orders

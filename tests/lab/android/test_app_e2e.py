"""The modelled app on a lab phone, seen the way a harness sees a real one: adb, logcat, run-as."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab

PKG = "com.example.courier"
MONKEY = f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1"
THREADTIME = r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ "
WM_NS = "androidx.work.systemjobscheduler"


@pytest.fixture
def pixel(lab: RunningLab) -> Iterator[RunningLab]:
    yield lab
    lab.shell("pixel-8", f"input keyevent 224; am force-stop {PKG}")


def _count(lab: RunningLab, name: str, pattern: str) -> int:
    return len(re.findall(pattern, lab.adb(name, "logcat", "-d").stdout, re.M))


def _wait_for(lab: RunningLab, name: str, pattern: str, *, seen: int = 0, timeout_s: float = 10.0) -> str:
    """Wait until logcat holds more than ``seen`` lines matching ``pattern`` (``seen`` counted before acting)."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = lab.adb(name, "logcat", "-d").stdout
        if len(re.findall(pattern, log, re.M)) > seen:
            return log
        if time.monotonic() > deadline:
            raise AssertionError(f"no line matching {pattern!r} in {name}'s logcat; tail:\n" + log[-2000:])
        time.sleep(0.1)


def _worker_id(lab: RunningLab) -> int:
    out = lab.shell("pixel-8", f"dumpsys jobscheduler {PKG}").stdout
    ids = re.findall(rf"JOB #?[^\s]*u0a\d+/(\d+): \S+ @{WM_NS}@{PKG}/androidx\.work\.impl\.background\.systemjob"
                     r"\.SystemJobService", out)
    assert ids, out[-3000:]
    return min(int(i) for i in ids)


def test_worker_runs_in_background_and_prints_the_probe(pixel: RunningLab) -> None:
    end = r"I ReactNativeJS: BgProbe v1 task_end task=sync-orders run=\d+ result=success duration_ms=\d+$"
    seen = _count(pixel, "pixel-8", end)
    assert pixel.shell("pixel-8", MONKEY).code == 0
    pixel.shell("pixel-8", "input keyevent 3")
    log = _wait_for(pixel, "pixel-8", end, seen=seen)
    assert re.search(THREADTIME + r"I ReactNativeJS: BgProbe v1 task_start task=sync-orders run=\d+ "
                     r"trigger=workmanager$", log, re.M)
    assert re.search(THREADTIME + r"I WM-WorkerWrapper: Worker result SUCCESS for Work \[ id=[0-9a-f-]{36}, "
                     r"tags=\{ expo\.modules\.backgroundtask\.BackgroundTaskWork \} \]$", log, re.M)
    run = int(re.findall(r"task_end task=sync-orders run=(\d+)", log)[-1])
    ring = [json.loads(line) for line in pixel.shell("pixel-8", f"run-as {PKG} cat files/bgprobe.jsonl").stdout
            .splitlines()]
    assert len(ring) <= 200
    assert {e["event"] for e in ring if e.get("task") == "sync-orders" and e.get("run") == run} == {
        "task_start", "task_end"}


def test_force_stop_removes_the_worker_until_launch_and_relaunch_gets_a_new_id(pixel: RunningLab) -> None:
    pixel.shell("pixel-8", MONKEY)
    pixel.shell("pixel-8", "input keyevent 3")
    old = _worker_id(pixel)
    pixel.shell("pixel-8", f"am force-stop {PKG}")
    assert "EXPO" not in pixel.shell("pixel-8", f"dumpsys jobscheduler {PKG}").stdout
    run = pixel.shell("pixel-8", f"cmd jobscheduler run -f -n {WM_NS} {PKG} {old}")
    assert run.code == 23 and "Could not find job" in run.stderr
    rescheduled = r"D WM-ForceStopRunnable: Application was force-stopped, rescheduling\.$"
    seen = _count(pixel, "pixel-8", rescheduled)
    pixel.shell("pixel-8", MONKEY)
    assert _worker_id(pixel) != old
    _wait_for(pixel, "pixel-8", rescheduled, seen=seen)

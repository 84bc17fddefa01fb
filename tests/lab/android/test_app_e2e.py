"""The modelled app on a lab phone, seen the way a harness sees a real one: adb, logcat, run-as."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

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


class _Follow:
    """``adb logcat`` followed from a marker line on: what the phone logs after the marker is read as it comes, so
    the ring buffer's pruning cannot take it away. A full 1 MiB main ring on a lab phone turns over in about two
    wall minutes of background log (logd's default is 256 KiB, logd/LogSize.h, so a real phone's turns over sooner),
    and a count of matches in ``logcat -d`` stays level while an app's periodic lines arrive and old ones are pruned."""

    def __init__(self, lab: RunningLab, name: str) -> None:
        self.name = name
        self._lines: queue.Queue[str] = queue.Queue()
        self._proc = subprocess.Popen(["adb", "-P", str(lab.adb_port), "-s", lab.serial(name), "logcat", "-v",
                                       "threadtime", "-T", "1"], stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.log = ""
        self.wait_for("")  # -T 1 prints the ring's last line once logcat reads: it is attached
        token = uuid.uuid4().hex
        lab.shell(name, f"log -t BgMark {token}")
        self.wait_for(rf" BgMark +: {token}$")
        self.log = ""  # what came before the marker is not this capture's

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)

    def wait_for(self, pattern: str, within_device_s: float = 1800.0, idle_s: float = 30.0) -> str:
        """The capture up to the first line since the marker (or the last wait) that matches ``pattern``.

        The window is in device time, read from the lines' own stamps: a capture that a loaded host has let fall
        behind is read on until its lines pass the window, never cut off at a wall-clock deadline. The periodic
        worker's first run is due within its 15-minute period of being scheduled (measured: 851-861 device s from
        the mark on an idle host); the window adds a period for the launch and Home round trips, which cost
        device time at 600x. ``idle_s``: a capture silent that long (the lab logs several lines a device second)
        has stopped."""
        start = len(self.log)
        first: float | None = None
        while True:
            try:
                line = self._lines.get(timeout=idle_s)
            except queue.Empty:
                raise AssertionError(f"{self.name}'s logcat printed nothing for {idle_s:g} s while waiting for "
                                     f"{pattern!r}; tail:\n" + self.log[-2000:]) from None
            self.log += line
            if re.search(pattern, line.rstrip("\n")):
                return self.log[start:]
            stamp = _device_time(line)
            first = stamp if first is None else first
            if stamp is not None and first is not None and _since(first, stamp) > within_device_s:
                raise AssertionError(f"no line matching {pattern!r} in {self.name}'s logcat within {within_device_s:g} "
                                     "s of device time since the mark; tail:\n" + self.log[-2000:])

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait(10)
        self._reader.join(10)  # the pipe's end: the reader is done with it
        assert self._proc.stdout is not None
        self._proc.stdout.close()


def _device_time(line: str) -> float | None:
    """A threadtime line's stamp in seconds (threadtime prints no year: a leap one, so 02-29 parses; ``_since``)."""
    m = re.match(r"(\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ", line)
    return None if m is None else datetime.strptime(f"2020-{m[1]}", "%Y-%m-%d %H:%M:%S.%f").timestamp()


def _since(first: float, stamp: float) -> float:
    """Device seconds from ``first`` to ``stamp``, across a new year (12-31 to 01-01) too."""
    elapsed = stamp - first
    return elapsed + 366 * 86400 if elapsed < -300 * 86400 else elapsed  # 2020 had 366 days


@contextmanager
def _follow(lab: RunningLab, name: str) -> Iterator[_Follow]:
    capture = _Follow(lab, name)
    try:
        yield capture
    finally:
        capture.close()


def _worker_id(lab: RunningLab) -> int:
    out = lab.shell("pixel-8", f"dumpsys jobscheduler {PKG}").stdout
    ids = re.findall(rf"JOB #?[^\s]*u0a\d+/(\d+): \S+ @{WM_NS}@{PKG}/androidx\.work\.impl\.background\.systemjob"
                     r"\.SystemJobService", out)
    assert ids, out[-3000:]
    return min(int(i) for i in ids)


def test_worker_runs_in_background_and_prints_the_probe(pixel: RunningLab) -> None:
    end = r"I ReactNativeJS: BgProbe v1 task_end task=sync-orders run=\d+ result=success duration_ms=\d+$"
    pixel.shell("pixel-8", f"am force-stop {PKG}")  # no worker left running by an earlier test: these lines are ours
    with _follow(pixel, "pixel-8") as capture:
        assert pixel.shell("pixel-8", MONKEY).code == 0
        pixel.shell("pixel-8", "input keyevent 3")
        capture.wait_for(end)
        capture.wait_for(r"I WM-WorkerWrapper: Worker result SUCCESS for ")  # WorkManager logs it after the task
    log = capture.log
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
    with _follow(pixel, "pixel-8") as capture:
        pixel.shell("pixel-8", MONKEY)
        assert _worker_id(pixel) != old
        capture.wait_for(rescheduled)

"""Logcat capture streams to waiting expectations, on device time, through the real adb server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from harness.android import AndroidDriver
from harness.logs.expect import ExpectationFailed
from tests.labkit import RunningLab


def test_a_probe_line_reaches_a_waiting_expectation(lab: RunningLab, tmp_path: Path) -> None:
    drv = AndroidDriver.for_device(lab.cfg, lab.cfg.device("pixel-8"))
    capture, stream = drv.capture(tmp_path / "pixel-8.logcat")
    try:
        expect = drv.expect(stream)
        timer = threading.Timer(0.2, lambda: lab.shell(
            "pixel-8", "log -t ReactNativeJS 'BgProbe v1 task_start task=capture-test run=1 trigger=test'"))
        timer.start()
        event = expect.task_fired("capture-test", within_s=600)
        assert event.kind == "task_start" and event.task == "capture-test"
        assert event.time is not None and stream.last_time is not None
    finally:
        capture.stop()
    text = (tmp_path / "pixel-8.logcat").read_text()
    assert "BgProbe v1 task_start task=capture-test" in text


def test_a_task_that_never_fires_fails_with_an_explanation(lab: RunningLab, tmp_path: Path) -> None:
    drv = AndroidDriver.for_device(lab.cfg, lab.cfg.device("oppo-find-x6"))
    capture, stream = drv.capture(tmp_path / "oppo.logcat")
    try:
        expect = drv.expect(stream)
        with pytest.raises(ExpectationFailed) as info:
            expect.task_fired("no-such-task", within_s=60)
    finally:
        capture.stop()
    text = str(info.value)
    assert text.startswith("[oppo-find-x6] task 'no-such-task' did not fire within 1m of device time")
    assert "most likely: " in text

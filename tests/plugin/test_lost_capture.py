"""What is not a lost phone: a reboot the driver asked for, and an adb server the harness restarts; and what is:
a stopped adb server, which keeps the capture open and silent like a quiet phone.

Each test runs its own lab with its own private adb server. A capture that follows the phone through a reboot or
a restart keeps its stream whole: no loss, no line counted twice, and lines logged afterwards arrive.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.android import AndroidDriver
from harness.errors import DeviceLost
from tests import labkit
from tests.android.test_transport_recovery import kill_server, server_pid
from tests.labkit import RunningLab

WINDOW = 3600.0  # device seconds; the lab runs at its fast clock


@pytest.fixture
def private_lab() -> Iterator[RunningLab]:
    with labkit.one_phone_lab("pixel-8") as lab:
        yield lab


def _driver(lab: RunningLab) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device("pixel-8"))


def _logged(drv: AndroidDriver, tag: str) -> str:
    """Log a line of our own and wait until the capture has it."""
    assert drv.stream is not None
    mark = drv.stream.mark()
    drv.transport.shell(f"log -t LostCapture {tag}")
    line = drv.stream.wait_for_line(tag, mark, WINDOW)
    assert line is not None, f"the capture never saw {tag}"
    return line


def test_a_restarted_adb_server_is_not_a_lost_phone(private_lab: RunningLab, tmp_path: Path) -> None:
    drv = _driver(private_lab)
    capture, stream = drv.capture(tmp_path / "logcat.txt")
    try:
        before = _logged(drv, "before-the-kill")
        kill_server(private_lab.cfg.lab.adb_server_port)
        _logged(drv, "after-the-restart")  # the capture (or this shell) restarted the server; logcat reopened
        assert stream.loss is None
        assert capture.reconnects == 1
        assert sum(1 for _, text in stream.lines if text == before) == 1  # the reopened logcat's resend dropped
    finally:
        capture.stop()


def test_a_reboot_the_driver_asked_for_is_not_a_lost_phone(private_lab: RunningLab, tmp_path: Path) -> None:
    drv = _driver(private_lab)
    capture, stream = drv.capture(tmp_path / "logcat.txt")
    try:
        drv.reboot()
        assert stream.away_for is None  # back
        _logged(drv, "after-the-reboot")
        assert stream.loss is None
    finally:
        capture.stop()


def test_a_stopped_adb_server_ends_a_negative_wait_in_an_error(private_lab: RunningLab, tmp_path: Path) -> None:
    drv = _driver(private_lab)
    capture, stream = drv.capture(tmp_path / "logcat.txt")
    pid = server_pid(private_lab.cfg.lab.adb_server_port)
    try:
        mark = stream.mark()
        os.kill(pid, signal.SIGSTOP)  # the logcat socket stays open and says nothing, as on a quiet phone
        with pytest.raises(DeviceLost, match=r"pixel-8 was cut off: its adb server .* stopped answering"):
            stream.wait_for(lambda e: False, mark, 4 * WINDOW)  # 24 s of wall at 600x: the probe ends it first
    finally:
        os.kill(pid, signal.SIGCONT)
        capture.stop()

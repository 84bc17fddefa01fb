"""What is not a lost phone: a reboot the driver asked for, and an adb server the harness restarts.

Each test runs its own lab with its own private adb server. A capture that follows the phone through these keeps
its stream whole: no loss, no line counted twice, and lines logged afterwards arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.android import AndroidDriver
from tests import labkit
from tests.android.test_transport_recovery import kill_server
from tests.labkit import RunningLab

WINDOW = 3600.0  # device seconds; the lab runs at its fast clock


@pytest.fixture
def private_lab() -> Iterator[RunningLab]:
    lab = RunningLab(labkit.test_config(names=("pixel-8",)))
    lab.thread.start()
    yield lab
    lab.thread.stop()


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

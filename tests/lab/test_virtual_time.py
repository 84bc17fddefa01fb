"""Issue 22, item 1: lab time that moves only when the harness waits.

The clock itself (``VirtualClock``), then the seam over the wire: a lab phone under ``clock = "virtual"`` driven by
the real driver through Google's adb server, its waits stepping the clock through ``[lab] time_port``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from harness.android import AndroidDriver
from harness.errors import LabError
from harness.lab.clock import VirtualClock, sleep_device
from harness.logs.stream import EventStream
from harness.virtual_time import LabTime
from tests import labkit
from tests.labkit import RunningLab

EPOCH = 1_000_000.0
TASK = "sync-orders"  # the shipped app's periodic task: every 15 minutes of device time


# -- the clock ----------------------------------------------------------------------------------------------
def test_a_step_stops_after_the_first_event_time_that_moved_and_else_at_its_end() -> None:
    clock = VirtualClock(epoch_s=EPOCH)
    ran: list[str] = []
    clock.call_later(10, lambda: ran.append("quiet"))
    clock.call_later(20, lambda: ran.append("logs"))
    clock.call_later(20, lambda: ran.append("same instant"))
    clock.call_later(30, lambda: ran.append("later"))
    assert clock.step(EPOCH + 100, lambda: "logs" in ran) == EPOCH + 20
    assert ran == ["quiet", "logs", "same instant"]  # the whole instant runs
    assert clock.step(EPOCH + 25, lambda: True) == EPOCH + 25  # nothing due before the end: the end
    assert clock.now() == EPOCH + 25 and ran[-1] == "same instant"


def test_an_event_due_now_runs_at_once_on_the_loop_and_the_clock_stands_still() -> None:
    async def main() -> tuple[list[str], float]:
        clock = VirtualClock(epoch_s=EPOCH)
        clock.start(asyncio.get_running_loop())
        ran: list[str] = []
        clock.call_later(0, lambda: ran.append("now"))
        clock.call_later(5, lambda: ran.append("in five seconds"))
        await asyncio.sleep(0.05)
        clock.stop()
        return ran, clock.now()

    assert asyncio.run(main()) == (["now"], EPOCH)


def test_a_device_side_sleep_is_the_harness_waiting_its_length() -> None:
    clock = VirtualClock(epoch_s=EPOCH)
    ran: list[float] = []
    clock.call_later(30, lambda: ran.append(clock.now()))
    asyncio.run(sleep_device(clock, 60))
    assert clock.now() == EPOCH + 60 and ran == [EPOCH + 30]


def test_a_model_that_reschedules_itself_at_the_same_instant_cannot_hang_the_lab(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = VirtualClock(epoch_s=EPOCH)

    def again() -> None:
        clock.call_at(clock.now(), again)

    clock.call_later(1, again)
    assert clock.step(EPOCH + 10, lambda: False) == EPOCH + 1  # gives up on the runaway instant, says so
    assert "re-schedules itself at the same instant" in caplog.text


# -- over the wire ------------------------------------------------------------------------------------------
@pytest.fixture
def lab() -> Iterator[RunningLab]:
    with labkit.one_phone_lab("pixel-8", clock="virtual") as running:
        yield running


def _driver(lab: RunningLab) -> AndroidDriver:
    drv = AndroidDriver.for_device(lab.cfg, lab.cfg.device("pixel-8"))
    assert drv.stepper is not None and drv.clock_rate == 1.0  # windows as on a real phone
    return drv


def test_the_phones_clock_stands_still_while_the_harness_acts(lab: RunningLab) -> None:
    drv = _driver(lab)
    before = drv.device_time()
    drv.launch()
    time.sleep(0.3)  # wall time passing is no device time passing
    assert drv.device_time() == before


def test_a_wait_jumps_to_the_event_it_waits_for_and_a_negative_wait_to_its_end(lab: RunningLab) -> None:
    drv = _driver(lab)
    capture, stream = drv.capture()
    try:
        drv.launch()
        drv.home()
        mark = stream.mark()
        wall = time.monotonic()
        fired = stream.wait_for(lambda e: e.kind == "task_start" and e.task == TASK, mark, 40 * 60)
        assert fired is not None and fired.time is not None
        assert 0 < fired.time - (mark.device_time or 0) <= 40 * 60  # minutes of device time …
        assert time.monotonic() - wall < 20  # … in seconds of wall time at most, on a loaded host
        assert drv.device_time() == pytest.approx(fired.time, abs=1)  # the clock stopped where the wait ended

        quiet = stream.mark()
        assert stream.wait_for(lambda e: False, quiet, 600) is None
        assert drv.device_time() == pytest.approx((quiet.device_time or 0) + 600, abs=1)  # the whole window
    finally:
        capture.stop()


def _task_times(lab: RunningLab) -> list[float]:
    drv = _driver(lab)
    capture, stream = drv.capture()
    try:
        drv.launch()
        drv.home()
        mark = stream.mark()
        stream.wait_quiet_until((mark.device_time or 0) + 2 * 3600)
        return [e.time for e in stream.logged_since(mark)
                if e.kind == "task_start" and e.task == TASK and e.time is not None]
    finally:
        capture.stop()


def test_the_same_seed_and_actions_give_the_same_device_times_whatever_the_host_does() -> None:
    runs = []
    for _ in range(2):
        with labkit.one_phone_lab("pixel-8", clock="virtual") as lab:
            runs.append(_task_times(lab))
    assert runs[0] and runs[0] == runs[1]


def _whole_log(lab: RunningLab) -> list[str]:
    """Two hours of the phone, then its whole log (every buffer, device times and all)."""
    _task_times(lab)
    return _driver(lab).transport.shell("logcat -d -b all -v threadtime", timeout_s=30).splitlines()


def test_the_background_log_moves_with_the_clock_so_the_same_seed_gives_the_same_log() -> None:
    """Other apps' lines are written as the clock moves (capped per step), never by wall time: how many of them lie
    between two of the app's lines, and so what a relay's buffer or a capture's first lines hold, is the seed's."""
    logs = []
    for _ in range(2):
        with labkit.one_phone_lab("pixel-8", clock="virtual") as lab:
            drv = _driver(lab)
            count = len(drv.transport.shell("logcat -d -b all", timeout_s=30).splitlines())
            time.sleep(0.5)  # wall time, the clock standing still: no one logs
            assert len(drv.transport.shell("logcat -d -b all", timeout_s=30).splitlines()) == count
            logs.append(_whole_log(lab))
    assert len(logs[0]) > 2000  # the boot's log and two hours of background, not only the app's lines
    assert logs[0] == logs[1]


def test_an_unknown_phone_gets_a_clear_error_from_the_time_control(lab: RunningLab) -> None:
    lost = LabTime(lab.cfg.lab.host, lab.cfg.lab.time_port, "no-such-phone")
    with pytest.raises(LabError, match=r"unknown device 'no-such-phone' \(this lab's virtual clocks: pixel-8\)"):
        lost.now()


def test_a_stream_without_a_stepper_keeps_waiting_on_the_wall_clock() -> None:
    stream = EventStream("real-phone", clock_rate=1.0)
    assert stream.stepper is None
    mark = stream.mark()
    started = time.monotonic()
    stream.close()  # a closed stream ends a wall-clock wait at once
    assert stream.wait_for(lambda e: True, mark, 3600) is None
    assert time.monotonic() - started < 5

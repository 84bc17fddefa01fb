"""24 device-hours on 4 lab phones over the wire, under the virtual clock (issue 22: "10 s or less").

Each phone (Pixel, Xiaomi, Oppo, Samsung) is driven as a test drives it: the real adb server, the real
``AndroidDriver`` and its logcat capture, and the waiting primitive stepping the phone's clock through
``harness/virtual_time.py`` (``EventStream.wait_quiet_until``). Each phone launches the app, goes home, is unplugged,
its screen off, then the harness waits out 24 device-hours; the 4 phones wait in parallel threads. Printed: the
wall time against the 10 s goal, device-seconds per wall-second, and per phone the steps the wait took (one per
event time that logged a line), the wall time per step and the app's task_start events the capture saw.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import figure
from harness.android import AndroidDriver
from harness.virtual_time import LabTime, Step
from tests.labkit import RunningLab, test_config

PHONES = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23")
DAY_S = 24 * 3600.0
GOAL_S = 10.0


class CountingTime(LabTime):
    """The time control client, counting its steps and their wall time (the bench's only addition)."""

    steps = 0
    step_s = 0.0

    def step(self, until: float) -> Step:
        start = time.perf_counter()
        try:
            return super().step(until)
        finally:
            self.steps += 1
            self.step_s += time.perf_counter() - start


@dataclass
class Day:
    name: str
    wall_s: float = 0.0
    device_s: float = 0.0
    steps: int = 0
    step_s: float = 0.0
    task_starts: int = 0
    error: str | None = None


def prepare(lab: RunningLab, name: str) -> tuple[AndroidDriver, CountingTime]:
    drv = AndroidDriver.for_device(lab.cfg, lab.cfg.device(name))
    assert drv.stepper is not None, "the lab's clock is not virtual"
    counting = CountingTime(drv.stepper.host, drv.stepper.port, name)
    drv.stepper = counting
    return drv, counting


def live_a_day(drv: AndroidDriver, counting: CountingTime, day: Day) -> None:
    capture, stream = drv.capture()
    try:
        drv.launch()
        drv.home()
        drv.unplug()
        drv.screen_off()
        mark = stream.mark()
        start = counting.now()
        wall = time.perf_counter()
        stream.wait_quiet_until(start + DAY_S)
        day.wall_s = time.perf_counter() - wall
        day.device_s = counting.now() - start
        day.steps, day.step_s = counting.steps, counting.step_s
        day.task_starts = sum(1 for e in stream.since(mark) if e.kind == "task_start")
    except Exception as exc:  # a bench reports what broke and goes on with the other phones
        day.error = f"{type(exc).__name__}: {exc}"
    finally:
        capture.stop()


def main() -> None:
    lab = RunningLab(test_config(names=PHONES, clock="virtual"))
    lab.thread.start()
    try:
        drivers = {name: prepare(lab, name) for name in PHONES}
        days = {name: Day(name) for name in PHONES}
        threads = [threading.Thread(target=live_a_day, args=(*drivers[n], days[n]), name=n) for n in PHONES]
        wall = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall
    finally:
        lab.thread.stop()
    report(list(days.values()), wall)


def report(days: list[Day], wall: float) -> None:
    device_s = sum(d.device_s for d in days)
    print(f"4 phones x 24 device-hours over the wire (virtual clock): {wall:.2f} s wall (goal <= {GOAL_S:g} s), "
          f"{device_s / wall:,.0f} device-s per wall-s")
    for d in days:
        if d.error is not None:
            print(f"  {d.name:<13} FAILED: {d.error}")
            continue
        per_step = 1000 * d.step_s / d.steps if d.steps else 0.0
        print(f"  {d.name:<13} {d.wall_s:6.2f} s, {d.device_s / 3600:5.1f} device-h, {d.steps:5d} steps "
              f"({per_step:.2f} ms per step round trip, {d.wall_s - d.step_s:.2f} s waiting for markers/other), "
              f"task_start events {d.task_starts}")
    ok = all(d.error is None and d.device_s >= DAY_S for d in days) and wall <= GOAL_S
    figure("24 device-hours on 4 phones, over the wire", f"{wall:.2f} s", f"<= {GOAL_S:g} s", ok)


if __name__ == "__main__":
    main()

"""The virtual iPhone's log path, measured end to end through the real pymobiledevice3.

1. Lines per second from the lab phone's syslog to a waiting expectation: the phone writes N lines (one
   probe ``task_start`` last), the iOS driver's os_trace capture parses them into the event stream, and
   an ``Expect.task_fired`` waiting on the stream returns. Ratio: lines/s through the whole path.
2. Time from ``harness lab up`` (a ``LabThread`` start) until the iPhone is listed by usbmuxd and answers
   lockdownd (``IOSDriver.values()``), median of a few starts.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.ios import IOSDriver
from tests.labkit import RunningLab, test_config

LINES = 20_000


def syslog_throughput() -> None:
    cfg = test_config(clock_rate=1.0, names=("iphone-12",))
    # real time on the phone too (devices.toml runs lab iPhones fast), so the wait measures the pipe, not the clock
    cfg = dataclasses.replace(cfg, devices=tuple(dataclasses.replace(d, clock_rate=None) for d in cfg.devices))
    lab = RunningLab(cfg)
    lab.thread.start()
    try:
        cfg = lab.cfg
        driver = IOSDriver.for_device(cfg, cfg.device("iphone-12"))
        capture, stream = driver.capture(Path(tempfile.mkdtemp()) / "syslog.txt")
        timeline = driver.expect(stream)
        phone = lab.thread.lab.usbmuxd.devices[0]  # type: ignore[union-attr]

        def burst() -> None:
            for i in range(LINES - 1):
                phone.log("Courier", f"bench line {i} with some ordinary text in it", pid=549)
            phone.log("Courier", "BgProbe v1 task_start task=sync-orders run=1 trigger=test", pid=549)

        start = time.perf_counter()
        lab.call(burst)
        timeline.task_fired("sync-orders", within_s=120)
        wall = time.perf_counter() - start
        capture.stop()
        print(f"syslog → expectation: {LINES:,} lines in {wall:.2f} s = {LINES / wall:,.0f} lines/s "
              f"(os_trace_relay, parsed into events, waited on)")
    finally:
        lab.thread.stop()


def lab_up_to_listed(rounds: int = 5) -> None:
    times = []
    for _ in range(rounds):
        lab = RunningLab(test_config(names=("iphone-12",)))
        start = time.perf_counter()
        lab.thread.start()
        try:
            driver = IOSDriver.for_device(lab.cfg, lab.cfg.device("iphone-12"))
            driver.values()
            times.append(time.perf_counter() - start)
            driver.transport.forget()
        finally:
            lab.thread.stop()
    print(f"lab up → iPhone listed and answering lockdownd: median {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {rounds} starts)")


def main() -> None:
    syslog_throughput()
    lab_up_to_listed()


if __name__ == "__main__":
    main()

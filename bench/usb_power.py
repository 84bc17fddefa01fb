"""Taking a virtual iPhone off USB power and back, end to end through the real clients.

``IOSDriver.unplug()``: the hub API call (``cbrx_find`` once, then ``cbrx_connection_open``/``set``/``close``),
usbmuxd's ``Detached``; ``IOSDriver.plug()``: the same calls, usbmuxd's ``Attached`` and lockdownd answering
again. The numbers are the harness's overhead per switch, what a night-off-the-charger cell pays besides the
night itself. Median of a few rounds, after one warm-up round.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.ios import IOSDriver
from tests.labkit import RunningLab, test_config

ROUNDS = 10


def main() -> None:
    lab = RunningLab(test_config(names=("iphone-15",)))
    lab.thread.start()
    try:
        driver = IOSDriver.for_device(lab.cfg, lab.cfg.device("iphone-15"))
        driver.values()
        driver.unplug()
        driver.plug()  # warm-up: the port is found and remembered
        offs, ons = [], []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            driver.unplug()
            offs.append(time.perf_counter() - start)
            start = time.perf_counter()
            driver.plug()
            ons.append(time.perf_counter() - start)
        print(f"unplug (hub port off → usbmuxd Detached): median {statistics.median(offs) * 1000:.0f} ms, "
              f"max {max(offs) * 1000:.0f} ms; plug (port sync → Attached → lockdownd answers): median "
              f"{statistics.median(ons) * 1000:.0f} ms, max {max(ons) * 1000:.0f} ms ({ROUNDS} rounds)")
    finally:
        lab.thread.stop()


if __name__ == "__main__":
    main()

"""Shell round-trip latency to the lab through the real adb server, and the lab's idle CPU.

Prints, in one run: the median `echo hi` round trip via pure-python-adb (the driver's path) against
spawning `adb shell` per command (what subprocess-based drivers pay), as a ratio; then the lab's CPU
use while idle with four phones connected.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import median_ms
from tests.labkit import RunningLab, test_config


def main(runs: int = 300) -> None:
    lab = RunningLab(test_config())
    lab.thread.start()
    try:
        device = lab.ppadb("pixel-8")
        cmd = ["adb", "-P", str(lab.adb_port), "-s", lab.serial("pixel-8"), "shell", "echo hi"]
        ppadb_ms = median_ms(lambda: device.shell("echo hi"), runs)
        cli_ms = median_ms(lambda: subprocess.run(cmd, capture_output=True, check=True), runs // 5)
        print(f"shell round trip, median: pure-python-adb {ppadb_ms:.3f} ms, `adb shell` subprocess {cli_ms:.3f} ms")
        print(f"ratio subprocess / pure-python-adb: {cli_ms / ppadb_ms:.1f}x")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(5)  # measuring idle CPU: the point is to do nothing
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
        print(f"lab idle CPU with 4 phones connected: {cpu:.2f}% of one core over 5 s")
    finally:
        lab.thread.stop()
        subprocess.run(["adb", "-P", str(lab.adb_port), "kill-server"], capture_output=True, check=False)


if __name__ == "__main__":
    main()

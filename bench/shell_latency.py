"""The lab's CPU use while idle, with four phones connected to the real adb server.

The shell round trip and its ratios (against a bare adbd, a driver verb and an ``adb shell`` subprocess) are
in ``wire.py``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.labkit import RunningLab, test_config


def main() -> None:
    lab = RunningLab(test_config())
    lab.thread.start()
    try:
        lab.ppadb("pixel-8").shell("true")  # the phones are connected and have served a call
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(5)  # measuring idle CPU: the point is to do nothing
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
        print(f"lab idle CPU with 4 phones connected: {cpu:.2f}% of one core over 5 s")
    finally:
        lab.thread.stop()
        subprocess.run(["adb", "-P", str(lab.adb_port), "kill-server"], capture_output=True, check=False)


if __name__ == "__main__":
    main()

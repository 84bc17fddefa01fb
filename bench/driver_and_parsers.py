"""Parser throughput and log-line-to-expectation latency.

- threadtime lines parsed per second (and turned into events);
- wall time from a log line written on the lab phone to the waiting ``task_fired`` returning.

The driver verb's cost against raw pure-python-adb and an ``adb shell`` subprocess is in ``wire.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.android import AndroidDriver
from harness.lab.android.logbuf import LogBuffers, LogFormat, format_entry
from harness.logs import android_events, parse_logcat
from tests.labkit import RunningLab, test_config


def parse_throughput(count: int = 200_000) -> None:
    now = [1795852800.0]
    bufs = LogBuffers(lambda: now[0], lambda: now[0] - 1795852000.0, size_bytes=1 << 30)
    tags = ("ActivityManager", "JobScheduler", "ReactNativeJS", "WM-WorkerWrapper", "chatty")
    lines = []
    for i in range(count):
        now[0] += 0.003
        entry = bufs.write("main", "I", tags[i % 5], f"message number {i} with some text", pid=4200 + i % 7)
        lines.append(format_entry(entry, LogFormat()).rstrip("\n"))
    start = time.perf_counter()
    parsed = parse_logcat(lines)
    mid = time.perf_counter()
    android_events(parsed.lines)
    end = time.perf_counter()
    print(f"parse: {count / (mid - start):,.0f} threadtime lines/s; "
          f"parse + events: {count / (end - start):,.0f} lines/s")


def lab_numbers(lab: RunningLab) -> None:
    drv = AndroidDriver.for_device(lab.cfg, lab.cfg.device("pixel-8"))
    raw = lab.ppadb("pixel-8")
    capture, stream = drv.capture()
    latencies = []
    try:
        for i in range(30):
            expect = drv.expect(stream)
            written = [0.0]

            def write(n: int = i, written: list[float] = written) -> None:
                written[0] = time.perf_counter()
                raw.shell(f"log -t ReactNativeJS 'BgProbe v1 task_start task=bench{n} run=1'")

            threading.Thread(target=write).start()
            expect.task_fired(f"bench{i}", within_s=3600)
            latencies.append((time.perf_counter() - written[0]) * 1000)
    finally:
        capture.stop()
    print(f"log line -> waiting expectation: median {statistics.median(latencies):.2f} ms "
          f"(includes the shell call that writes it), max {max(latencies):.2f} ms")


def main() -> None:
    parse_throughput()
    lab = RunningLab(test_config(names=("pixel-8",)))
    lab.thread.start()
    try:
        lab_numbers(lab)
    finally:
        lab.thread.stop()
        subprocess.run(["adb", "-P", str(lab.adb_port), "kill-server"], capture_output=True, check=False)


if __name__ == "__main__":
    main()

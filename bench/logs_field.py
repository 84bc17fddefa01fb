"""Parse rates under a noisy capture: the Android and iOS log paths of ``harness logs``, measured in one run.

A real phone prints hundreds of unrelated lines a second around the few that matter. The noisy captures
here are built from the field corpus (tests/logs/field/): every real capture's lines, with each of its lines
carrying a run of noise lines in the same format (other tags and processes, as a phone's chatter), times
advancing. The rates are printed, not asserted (issue 18 names 300k threadtime lines/s and 50k iOS lines/s as
the floor; the ratio to it is printed too).

- Android: threadtime lines/s through ``LogcatParser`` alone, then through the parser and ``EventBuilder``.
- iOS: syslog_relay (idevicesyslog) and Console-export lines/s through ``IOSLogParser`` and ``IOSEventBuilder``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.logs.android_events import EventBuilder
from harness.logs.ios_events import IOSEventBuilder
from harness.logs.ios_syslog import IOSLogParser
from harness.logs.logcat import LogcatParser
from tests.logs.field_corpus import corpus

ANDROID_FLOOR = 300_000
IOS_FLOOR = 50_000
NOISE_PER_LINE = 40
_NOISE_TAGS = ("SurfaceFlinger", "ConnectivityService", "chatty", "WifiHAL", "BatteryService", "NotificationService",
               "InputDispatcher", "ReactNativeJS", "AudioFlinger", "libprocessgroup")
_IOS_PROCS = ("symptomsd", "locationd", "wifid", "mediaserverd", "backboardd", "CommCenter", "kernel", "bluetoothd")


def android_capture(target: int) -> list[str]:
    """Threadtime lines: the field corpus's logcat bodies interleaved with noise, about ``target`` lines."""
    signal = [ln for c in corpus() if c.name.startswith(("a", "n")) for ln in c.body.splitlines() if ln.strip()]
    lines: list[str] = []
    ms = 0
    while len(lines) < target:
        for ln in signal:
            lines.append(ln)
            for k in range(NOISE_PER_LINE):
                ms += 3
                s, frac = divmod(ms, 1000)
                tag = _NOISE_TAGS[k % len(_NOISE_TAGS)]
                lines.append(f"11-28 08:{(s // 60) % 60:02d}:{s % 60:02d}.{frac:03d}  {1400 + k % 9:5d} {1500 + k:5d} "
                             f"{'DIWE'[k % 4]} {tag}: noise {ms} uid=10{k % 90:03d} state=idle value={ms * 7 % 1000}")
    return lines[:target]


def ios_capture(target: int, console: bool) -> list[str]:
    """syslog_relay (idevicesyslog) or Console-export lines: the iOS field captures and noise."""
    signal = [ln for c in corpus() if c.name.startswith("i") for ln in c.body.splitlines() if ln.strip()]
    lines: list[str] = []
    ms = 0
    while len(lines) < target:
        for ln in signal:
            lines.append(ln)
            for k in range(NOISE_PER_LINE):
                ms += 3
                s, frac = divmod(ms, 1000)
                proc = _IOS_PROCS[k % len(_IOS_PROCS)]
                msg = f"noise {ms} session={k} state=idle value={ms * 7 % 1000}"
                hms = f"08:{(s // 60) % 60:02d}:{s % 60:02d}"
                lines.append(f"default\t{hms}.{frac:03d}000-0700\t{proc}\t{msg}" if console
                             else f"Nov 28 {hms} iPhone {proc}[{100 + k}] <Notice>: {msg}")
    return lines[:target]


def rate(lines: list[str], parse: object, build: object | None) -> float:
    parser = parse()  # type: ignore[operator]
    builder = build() if build is not None else None  # type: ignore[operator]
    start = time.process_time()  # CPU time: the bench machine is shared, and wall time would measure the others
    records = parser.feed(lines)
    records += parser.close()
    if builder is not None:
        builder.feed(records)
    return len(lines) / (time.process_time() - start)


def best(runs: int, lines: list[str], parse: object, build: object | None) -> float:
    return max(rate(lines, parse, build) for _ in range(runs))


def main() -> None:
    android = android_capture(400_000)
    ios_relay = ios_capture(200_000, console=False)
    ios_console = ios_capture(200_000, console=True)
    parse_only = best(3, android, LogcatParser, None)
    with_events = best(3, android, LogcatParser, EventBuilder)
    relay = best(3, ios_relay, IOSLogParser, IOSEventBuilder)
    console = best(3, ios_console, IOSLogParser, IOSEventBuilder)
    print(f"noisy capture: {NOISE_PER_LINE} noise lines around each line of the field corpus; rates in CPU time, "
          "best of 3")
    print(f"android threadtime: parse {parse_only:,.0f} lines/s ({parse_only / ANDROID_FLOOR:.2f}x the 300k floor); "
          f"parse + events {with_events:,.0f} lines/s ({with_events / ANDROID_FLOOR:.2f}x)")
    print(f"iOS idevicesyslog: parse + events {relay:,.0f} lines/s ({relay / IOS_FLOOR:.2f}x the 50k floor); "
          f"Console export {console:,.0f} lines/s ({console / IOS_FLOOR:.2f}x)")


if __name__ == "__main__":
    main()

"""Log volume: what the harness's parsers, event builders and waits sustain, against what the lab logs (issues 20, 22).

Each figure is printed beside its goal, as a throughput and a ratio measured in this run:

1. iOS os_trace → expectation, harness side: os_trace_relay records (encoded by the lab's codec, as a phone sends
   them) decoded by the driver's decoder (``harness/ios/_ostrace.py``), fed to an ``EventStream`` with a capture
   file, the app's probe line last, waited on by ``Expect.task_fired``. Goal: 50,000 lines/s (issue 22). The
   decoder is also set against pymobiledevice3's ``parse_syslog_entry`` + ``format_line`` (the path it replaced).
2. Android logcat → expectation: the lab's own background lines (``harness/lab/android/noise``: a realistic mix of
   other apps' starts, kills, GC, jobs, radio) in ``-v year`` threadtime, fed to an ``EventStream`` the same way.
   Goal: keep up with a shipped lab's six phones at ``[lab] log_noise_per_s``, with a hundredfold margin.
3. The lab's cost of that noise: CPU seconds per line written (Android and iOS), as a share of one core for the
   shipped lab at its configured rate.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymobiledevice3.cli.syslog import format_line
from pymobiledevice3.services.os_trace import parse_syslog_entry

from bench._util import figure
from harness.config import load_config
from harness.ios._ostrace import OsTraceDecoder
from harness.lab.android.logbuf import LogFormat, format_entry
from harness.lab.android.noise import LogNoise
from harness.lab.clock import ManualClock
from harness.lab.ios.device import build_iphone
from harness.lab.ios.noise import SyslogNoise
from harness.lab.ios.ostrace import encode_record
from harness.lab.runner import build_android
from harness.logs.expect import Expect
from harness.logs.stream import EventStream

ROOT = Path(__file__).resolve().parents[1]
IOS_LINES = 100_000
ANDROID_LINES = 100_000
IOS_GOAL = 50_000
CHUNK = 256 * 1024  # what one read of the relay socket returns at most (harness/ios/syslog.py)
PROBE = "BgProbe v1 task_start task=sync-orders run=1 trigger=bench"


def _frames(count: int) -> bytes:
    """``count`` os_trace records of a busy iPhone: the lab's background lines, the app's probe line last."""
    cfg = load_config(ROOT / "devices.toml")
    phone = build_iphone(cfg.device("iphone-15"), cfg.app, ManualClock())
    phone.syslog = type(phone.syslog)(phone.clock.now, lambda: "iPhone", phone.zone, capacity=count + 10)
    noise = SyslogNoise(phone, 100.0, cfg.app.ios_bundle_id)
    noise.emit(count - 1)
    phone.log("Courier", PROBE, pid=812)
    return b"".join(encode_record(e, 100.0) for e in phone.syslog.entries()[-count:])


def _timed_wait(platform: str, lines_in: list[list[str]] | None, frames: bytes | None) -> float:
    """Seconds from the first byte/line to ``task_fired`` returning, through an ``EventStream`` with a file."""
    stream = EventStream("bench", capture=Path(tempfile.mkdtemp()) / "capture.txt", year=2026, platform=platform)
    expect = Expect(stream, "com.example.courier")
    start = time.perf_counter()
    if frames is not None:
        decoder = OsTraceDecoder()
        for i in range(0, len(frames), CHUNK):
            stream.feed(decoder.feed(frames[i:i + CHUNK]))
    for batch in lines_in or []:
        stream.feed(batch)
    stream.flush()
    expect.task_fired("sync-orders", within_s=1.0)
    return time.perf_counter() - start


def ios_figures() -> None:
    frames = _frames(IOS_LINES)
    wall = _timed_wait("ios", None, frames)
    rate = IOS_LINES / wall
    print(f"iOS os_trace → expectation (harness side): {IOS_LINES:,} lines in {wall:.2f} s = {rate:,.0f} lines/s; "
          f"goal {IOS_GOAL:,}: {rate / IOS_GOAL:.2f}x the goal")
    figure("iOS os_trace -> expectation", f"{rate:,.0f} lines/s", f">= {IOS_GOAL:,} lines/s", rate >= IOS_GOAL)
    sample = frames[: len(frames) // 10]
    decoder = OsTraceDecoder()
    start = time.perf_counter()
    ours = len(decoder.feed(sample))
    mine = time.perf_counter() - start
    start = time.perf_counter()
    pos = 0
    while pos < len(sample):
        length = int.from_bytes(sample[pos + 1:pos + 5], "little")
        format_line(parse_syslog_entry(sample[pos + 5:pos + 5 + length]), include_label=True, image_offset=False,
                    color=False)
        pos += 5 + length
    theirs = time.perf_counter() - start
    print(f"  os_trace decode: {ours / mine:,.0f} records/s vs pymobiledevice3's parse_syslog_entry + format_line "
          f"{ours / theirs:,.0f}/s: {theirs / mine:.1f}x faster")


def _android_lines(count: int) -> list[str]:
    cfg = load_config(ROOT / "devices.toml")
    dev = build_android(cfg, cfg.device("pixel-8"), ManualClock())
    dev.logs.size_bytes.update(dict.fromkeys(dev.logs.size_bytes, 1 << 31))
    noise = LogNoise(dev, 100.0, cfg.app.android_package)
    noise.emit(count)
    dev.syslog("I", "ReactNativeJS", PROBE, pid=noise._next_pid + 1, buffer="main")  # the app's own line
    fmt = LogFormat(year=True)
    entries = dev.logs.entries(["main", "system", "events", "radio", "crash"])
    return [format_entry(e, fmt).rstrip("\n") for e in entries[-count:]]


def android_figures(lab_rate: float) -> None:
    lines = _android_lines(ANDROID_LINES)
    batches = [lines[i:i + 500] for i in range(0, len(lines), 500)]  # what one socket read carries
    wall = _timed_wait("android", batches, None)
    rate = len(lines) / wall
    print(f"Android logcat → expectation: {len(lines):,} lines in {wall:.2f} s = {rate:,.0f} lines/s; "
          f"the shipped lab logs {lab_rate:,.0f} lines/s in all: {rate / lab_rate:,.0f}x headroom (goal 100x)")


def lab_cost(lab_rate: float) -> None:
    cfg = load_config(ROOT / "devices.toml")
    dev = build_android(cfg, cfg.device("pixel-8"), ManualClock())
    android = LogNoise(dev, 100.0, cfg.app.android_package)
    phone = build_iphone(cfg.device("iphone-15"), cfg.app, ManualClock())
    ios = SyslogNoise(phone, 100.0, cfg.app.ios_bundle_id)
    start = time.process_time()
    written = android.emit(20_000) + ios.emit(20_000)
    per_line = (time.process_time() - start) / written
    print(f"lab noise: {per_line * 1e6:.1f} µs CPU a line; the shipped lab's {lab_rate:,.0f} lines/s cost "
          f"{per_line * lab_rate * 100:.1f}% of one core")


def main() -> None:
    cfg = load_config(ROOT / "devices.toml")
    phones = sum(1 for d in cfg.devices if d.lab)
    lab_rate = phones * cfg.lab.log_noise_per_s
    ios_figures()
    android_figures(lab_rate)
    lab_cost(lab_rate)


if __name__ == "__main__":
    main()

"""Issue 20: a lab phone is never quiet. It boots with thousands of lines from other apps and the system, and keeps
logging them at ``[lab] log_noise_per_s`` lines per wall second, none of them the app under test's."""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import ConfigError
from harness.lab.android.logbuf import LogFormat, format_entry
from harness.lab.android.noise import LogNoise
from harness.lab.android.noise._episodes import load
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from harness.logs import android_events, parse_logcat
from tests.labkit import ROOT, RunningLab
from tests.labkit import test_config as lab_config

APP = "com.example.courier"
THREADTIME = re.compile(r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +(\d+) +\d+ [VDIWEF] (.+?)\s*: (.*)$")


@pytest.fixture(scope="module")
def noisy() -> Iterator[RunningLab]:
    lab = RunningLab(lab_config(names=("pixel-8",)))
    lab.thread.start()
    try:
        yield lab
    finally:
        lab.thread.stop()


def quiet_noise(rate: float = 100.0) -> LogNoise:
    cfg = lab_config(names=("pixel-8",))
    dev = build_android(cfg, cfg.device("pixel-8"), ManualClock())
    dev.logs.size_bytes.update(dict.fromkeys(dev.logs.size_bytes, 1 << 30))  # keep every line for the checks
    return LogNoise(dev, rate, APP)


def test_a_just_started_phone_dumps_more_than_a_thousand_lines(noisy: RunningLab) -> None:
    out = noisy.adb("pixel-8", "logcat", "-d", timeout_s=60)
    lines = out.stdout.splitlines()
    assert out.code == 0 and len(lines) > 1000, (out.code, len(lines), out.stderr)
    assert all(THREADTIME.match(line) or line.startswith("--------- beginning of ") for line in lines[:200])


def test_every_buffer_holds_a_boot(noisy: RunningLab) -> None:
    for buffer, least in (("main", 500), ("system", 300), ("events", 200), ("radio", 50)):
        out = noisy.adb("pixel-8", "logcat", "-d", "-b", buffer, timeout_s=60)
        assert len(out.stdout.splitlines()) > least, (buffer, out.stdout[-500:])
    events = noisy.adb("pixel-8", "logcat", "-d", "-b", "events", timeout_s=60).stdout
    assert " boot_progress_ams_ready: " in events and " am_proc_start: [0," in events


def test_a_ten_second_stream_carries_fifty_lines_a_second_of_other_packages(noisy: RunningLab) -> None:
    cmd = ["adb", "-P", str(noisy.adb_port), "-s", noisy.serial("pixel-8"), "logcat", "-T", "1"]
    with tempfile.TemporaryFile("w+") as sink:  # a file, not a pipe: a full pipe would slow the stream itself
        proc = subprocess.Popen(cmd, stdout=sink, text=True)
        try:
            time.sleep(10.0)  # the rate is per wall second by design: this measures it, it waits for no event
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        sink.seek(0)
        out = sink.read()
    rows = [m for m in map(THREADTIME.match, out.splitlines()) if m is not None]
    assert len(rows) >= 500, len(rows)
    assert not any(APP in m.group(3) for m in rows)
    pids = {int(m.group(1)) for m in rows}
    assert len(pids) > 10  # many processes, not one chatty one


def test_no_line_names_the_app_under_test_and_no_probe_line() -> None:
    noise = quiet_noise()
    noise.write_boot_log()
    noise.emit(20_000)
    entries = noise.dev.logs.entries(["main", "system", "events", "radio", "crash"])
    assert len(entries) > 20_000
    text = "".join(format_entry(e, LogFormat()) for e in entries)
    assert APP not in text and "BgProbe" not in text and "%{" not in text


def test_noise_events_are_other_packages_never_the_app() -> None:
    noise = quiet_noise()
    noise.write_boot_log()
    noise.emit(20_000)
    lines = [format_entry(e, LogFormat()).rstrip("\n") for e in noise.dev.logs.entries(["main", "system", "events"])]
    events = android_events(parse_logcat(lines).lines)
    kinds = {e.kind for e in events}
    assert {"process_start", "process_died", "kill"} <= kinds, kinds
    assert not [e for e in events if e.package == APP]
    assert not [e for e in events if e.kind in ("task_start", "task_end")]


def test_a_kill_names_the_pid_its_start_gave() -> None:
    noise = quiet_noise()
    noise.write_boot_log()
    noise.emit(20_000)
    started: dict[int, str] = {}
    for entry in noise.dev.logs.entries(["system"]):
        start = re.match(r"Start proc (\d+):(\S+?)/", entry.msg)
        kill = re.match(r"Killing (\d+):(\S+?)/", entry.msg)
        if start:
            started[int(start.group(1))] = start.group(2)
        elif kill:
            assert started.get(int(kill.group(1))) == kill.group(2), entry.msg


def test_rate_zero_writes_nothing() -> None:
    noise = quiet_noise(rate=0.0)
    before = noise.dev.logs.entries(["main", "system", "events", "radio"])
    loop = asyncio.new_event_loop()  # never run: a rate of 0 schedules nothing on it
    try:
        noise.ticker.start(loop)
        assert noise.dev.logs.entries(["main", "system", "events", "radio"]) == before
    finally:
        loop.close()


def test_every_episode_file_parses_and_fills() -> None:
    noise = quiet_noise()
    for name in ("episodes.txt", "boot.txt"):
        episodes = load(name)
        assert episodes and all(e.rows for e in episodes)
    assert sum(e.weight for e in load("episodes.txt")) > 0
    assert noise.write_boot_log() > 2000


def test_devices_toml_sets_the_rate_and_checks_its_range(tmp_path: Path) -> None:
    text = (ROOT / "devices.toml").read_text()
    for value, ok in (("250", True), ("0", True), ("-1", False), ("20000", False)):
        path = tmp_path / f"devices-{value}.toml"
        path.write_text(re.sub(r"(?m)^log_noise_per_s = \S+", f"log_noise_per_s = {value}", text, count=1))
        if ok:
            assert load_config(path).lab.log_noise_per_s == float(value)
        else:
            with pytest.raises(ConfigError, match="log_noise_per_s"):
                load_config(path)

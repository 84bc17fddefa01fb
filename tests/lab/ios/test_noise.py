"""Issue 20 on iOS: a lab iPhone's log carries other processes' lines, a backlog at start and a live stream at
``[lab] log_noise_per_s``, written with the model's own wording for other apps, never naming the app under test."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from harness.ios import IOSDriver
from harness.lab.clock import ManualClock
from harness.lab.ios.device import VirtualIPhone, build_iphone
from harness.lab.ios.noise import SyslogNoise, load
from harness.logs.ios_events import IOSEventBuilder
from harness.logs.ios_syslog import IOSLogParser
from tests.labkit import RunningLab
from tests.labkit import test_config as lab_config

BUNDLE = "com.example.courier"


def quiet_phone() -> VirtualIPhone:
    cfg = lab_config(names=("iphone-15",))
    return build_iphone(cfg.device("iphone-15"), cfg.app, ManualClock())


def test_a_just_started_iphone_holds_a_backlog_of_other_processes() -> None:
    phone = quiet_phone()
    noise = SyslogNoise(phone, 100.0, BUNDLE)
    assert noise.write_backlog() >= 1000
    lines = phone.syslog.lines()
    assert len(lines) >= 1000
    processes = {entry.process for entry in phone.syslog.entries()}
    assert {"runningboardd", "dasd", "SpringBoard", "mDNSResponder", "kernel"} <= processes


def test_noise_never_names_the_app_and_its_events_are_other_apps() -> None:
    phone = quiet_phone()
    noise = SyslogNoise(phone, 100.0, BUNDLE)
    noise.emit(phone.syslog.capacity - 10)
    lines = phone.syslog.lines()
    assert not [line for line in lines if BUNDLE in line or "Courier[" in line or "BgProbe" in line]
    parser, builder = IOSLogParser(year=2026), IOSEventBuilder()
    builder.feed(parser.feed(lines) + parser.close())
    assert builder.events, "runningboardd and jetsam lines about other apps are events too"
    assert not [e for e in builder.events if e.package == BUNDLE]
    assert not [e for e in builder.events if e.kind in ("task_start", "task_end")]


def test_other_apps_pids_are_in_the_process_list_while_they_run() -> None:
    phone = quiet_phone()
    noise = SyslogNoise(phone, 100.0, BUNDLE)
    noise.emit(5000)
    for bundle, pid in noise.running.items():
        assert phone.processes[pid] == noise.apps[bundle]
    assert phone.processes[139] == "dasd"


def test_every_episode_row_is_complete() -> None:
    for episode in load():
        assert episode.weight > 0 and episode.rows
        for process, _image, level, *_ in episode.rows:
            assert process == "app" or process.isidentifier() or process == "mDNSResponder", process
            assert level in ("Notice", "Info", "Debug", "Error", "Fault", "Warning")


def test_the_driver_capture_sees_the_live_stream() -> None:
    cfg = lab_config(clock_rate=1.0, names=("iphone-15",))
    cfg = dataclasses.replace(cfg, devices=tuple(dataclasses.replace(d, clock_rate=None) for d in cfg.devices))
    lab = RunningLab(cfg)
    lab.thread.start()
    try:
        driver = IOSDriver.for_device(lab.cfg, lab.cfg.device("iphone-15"))
        capture, stream = driver.capture(Path(tempfile.mkdtemp()) / "syslog.txt")
        try:
            start = stream.mark()
            time.sleep(3.0)  # the noise rate is per wall second: this measures it, it waits for no event
            after = stream.mark()
        finally:
            capture.stop()
        live = after.line - start.line
        assert live >= 100, live  # 100 lines/s by default, less what a busy host's loop delays
        assert not [e for e in stream.events[start.index:] if e.package == BUNDLE]
    finally:
        lab.thread.stop()


def test_a_rebooting_iphone_logs_nothing_and_its_apps_are_gone() -> None:
    phone = quiet_phone()
    noise = SyslogNoise(phone, 100.0, BUNDLE)
    noise.emit(3000)
    assert noise.running
    pids = list(noise.running.values())
    assert phone.system is not None
    phone.system.reboot()
    assert not noise.powered and not noise.running
    assert not [pid for pid in pids if pid in phone.processes]
    assert isinstance(phone.clock, ManualClock)
    phone.clock.advance(120.0)  # the boot is over
    assert noise.powered

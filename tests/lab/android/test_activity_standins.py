"""Helpers for the activity/app/OEM model tests, and protocol-conforming stand-ins for other parts.

``model_device(name)`` builds a lab phone from the shipped devices.toml on a ManualClock, with the real
OS model parts; where a part another engineer owns is missing (``dev.power``, ``dev.jobs``,
``dev.alarms``, ``dev.standby``), ``ensure_parts`` puts a small stand-in in its place that follows
``os/contracts.py`` (constraints and Doze are ignored: a job runs when its minimum latency is over).
``sh(dev, line)`` runs a shell line the way adbd would, without a socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.config import load_config
from harness.lab.android.device import AndroidDevice
from harness.lab.android.os import activity, oem
from harness.lab.android.os.contracts import JobClient, JobInfo
from harness.lab.android.shell.runtime import Input, Invocation, Output, run_script
from harness.lab.clock import ManualClock, Timer
from harness.lab.runner import build_android

ROOT = Path(__file__).resolve().parents[3]
PKG = "com.example.courier"


@dataclass
class Result:
    stdout: str
    stderr: str
    code: int


def sh(dev: AndroidDevice, line: str) -> Result:
    out, err = bytearray(), bytearray()
    inv = Invocation(["sh"], dev, Input.of(b""), Output(out.extend), Output(err.extend), env={"?": "0"})
    code = asyncio.run(run_script(line, inv))
    return Result(out.decode(), err.decode(), code)


def model_device(name: str, *, stand_ins: bool = False) -> AndroidDevice:
    cfg = load_config(ROOT / "devices.toml")
    dev = build_android(cfg, cfg.device(name), ManualClock())
    if stand_ins:
        for part in ("power", "jobs", "alarms", "standby"):
            if hasattr(dev, part):
                delattr(dev, part)
    ensure_parts(dev)
    return dev


def logcat(dev: AndroidDevice, *buffers: str) -> list[str]:
    """``tag: message`` of every entry in the buffers (default main+system+crash)."""
    entries = dev.logs.entries(buffers or ("main", "system", "crash"))
    return [f"{e.tag}: {e.msg}" for e in entries]


def ensure_parts(dev: AndroidDevice) -> list[str]:
    """Install stand-ins for missing parts, then let the activity and OEM parts subscribe to them."""
    used: list[str] = []
    if not hasattr(dev, "power"):
        dev.power = StandInPower(dev)
        used.append("power")
    if not hasattr(dev, "jobs"):
        dev.jobs = StandInJobs(dev)
        used.append("jobs")
    if not hasattr(dev, "alarms"):
        dev.alarms = StandInAlarms(dev)
        used.append("alarms")
    if not hasattr(dev, "standby"):
        dev.standby = StandInStandby()
        used.append("standby")
    activity.connect_parts(dev)
    oem.connect_parts(dev)
    return used


class StandInPower:
    """PowerModel: a screen that keys 26/223/224 switch, a healthy unplugged battery, no Doze."""

    def __init__(self, dev: AndroidDevice) -> None:
        self.screen_on = True
        self.network_connected = True
        self._listeners: list[Callable[[str], None]] = []
        dev.on_key(self._key)

    def _key(self, code: int) -> None:
        target = {26: not self.screen_on, 223: False, 224: True}.get(code)
        if target is not None and target != self.screen_on:
            self.screen_on = target
            for listener in list(self._listeners):
                listener("screen")

    def charging(self) -> bool:
        return False

    def battery_level(self) -> int:
        return 80

    def battery_not_low(self) -> bool:
        return True

    def deep_state(self) -> str:
        return "ACTIVE"

    def light_state(self) -> str:
        return "ACTIVE"

    def dozing(self) -> bool:
        return False

    def device_idle(self) -> bool:
        return not self.screen_on

    def whitelisted(self, package: str) -> bool:
        return False

    def on_change(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def set_work_probe(self, probe: Callable[[], bool]) -> None:
        pass


class StandInJobs:
    """JobModel: a job starts once its minimum latency is over; periodic ones come back each period."""

    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.jobs: dict[tuple[str, str | None, int], tuple[JobInfo, Timer]] = {}
        self.running: set[tuple[str, str | None, int]] = set()
        self.clients: dict[str, JobClient] = {}

    def schedule(self, package: str, job: JobInfo) -> None:
        key = (package, job.namespace, job.job_id)
        self.cancel(package, job.job_id, job.namespace, "replaced")
        timer = self.dev.clock.call_later(job.min_latency_s, lambda: self._start(key))
        self.jobs[key] = (job, timer)

    def _start(self, key: tuple[str, str | None, int]) -> None:
        if key not in self.jobs or key in self.running:
            return
        self.running.add(key)
        activity.manager(self.dev).ensure_process(key[0], "service", self.jobs[key][0].service)
        client = self.clients.get(key[0])
        if client is not None:
            client.on_start_job(key[0], key[2], key[1])

    def cancel(self, package: str, job_id: int, namespace: str | None, reason: str) -> bool:
        entry = self.jobs.pop((package, namespace, job_id), None)
        self.running.discard((package, namespace, job_id))
        if entry is not None:
            entry[1].cancel()
        return entry is not None

    def cancel_all(self, package: str, reason: str) -> int:
        keys = [k for k in self.jobs if k[0] == package]
        for key in keys:
            self.cancel(key[0], key[2], key[1], reason)
        return len(keys)

    def job_ids(self, package: str) -> list[tuple[str | None, int]]:
        return sorted(((k[1], k[2]) for k in self.jobs if k[0] == package), key=lambda k: (k[0] or "", k[1]))

    def job_finished(self, package: str, job_id: int, namespace: str | None, *, reschedule: bool = False) -> None:
        key = (package, namespace, job_id)
        self.running.discard(key)
        entry = self.jobs.pop(key, None)
        if entry is not None and entry[0].periodic_s:
            self.schedule(package, JobInfo(**{**entry[0].__dict__, "min_latency_s": entry[0].periodic_s}))

    def register_client(self, package: str, client: JobClient) -> None:
        self.clients[package] = client

    def run(self, package: str, job_id: int, namespace: str | None) -> bool:
        """``cmd jobscheduler run -f``: start the job now."""
        if (package, namespace, job_id) not in self.jobs:
            return False
        self._start((package, namespace, job_id))
        return True


class StandInAlarms:
    """AlarmModel: inexact repeating alarms that fire exactly on time."""

    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.alarms: dict[tuple[str, str], Timer] = {}

    def set_inexact_repeating(self, package: str, tag: str, first_s: float, interval_s: float,
                              fire: Callable[[], None]) -> None:
        self.cancel(package, tag)

        def go() -> None:
            self.alarms[(package, tag)] = self.dev.clock.call_later(interval_s, go)
            fire()

        self.alarms[(package, tag)] = self.dev.clock.call_later(first_s, go)

    def cancel(self, package: str, tag: str) -> None:
        timer = self.alarms.pop((package, tag), None)
        if timer is not None:
            timer.cancel()

    def cancel_all(self, package: str) -> int:
        keys = [k for k in self.alarms if k[0] == package]
        for key in keys:
            self.cancel(*key)
        return len(keys)


class StandInStandby:
    """StandbyModel: buckets that only change when told to."""

    def __init__(self) -> None:
        self.buckets: dict[str, int] = {}
        self._listeners: list[Callable[[str, int], None]] = []

    def bucket(self, package: str) -> int:
        return self.buckets.get(package, 10)

    def set_bucket(self, package: str, bucket: int, reason: str) -> None:
        self.buckets[package] = bucket
        for listener in list(self._listeners):
            listener(package, bucket)

    def note_used(self, package: str) -> None:
        self.set_bucket(package, 10, "u")

    def on_change(self, listener: Callable[[str, int], None]) -> None:
        self._listeners.append(listener)


def test_stand_ins_drive_the_app_like_the_real_parts() -> None:
    dev = model_device("pixel-8", stand_ins=True)
    assert isinstance(dev.jobs, StandInJobs)
    assert sh(dev, f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1").code == 0
    sh(dev, "input keyevent 3")
    assert isinstance(dev.clock, ManualClock)
    dev.clock.advance(60)
    assert any("BgProbe v1 task_end task=sync-orders run=1 result=success" in line for line in logcat(dev))

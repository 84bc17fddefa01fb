"""JobScheduler on a ManualClock: periodic windows, quota by bucket, Doze, background restriction,
reboots, timeouts, force-stop. Hours of device time run in milliseconds.

Power and activity are small protocol-conforming stand-ins defined here (``StandInPower``,
``StandInActivity``), so each test sets exactly the state it needs; the lead can switch them to
the real parts (``dev.power`` = LabPower, ``dev.activity``) once those are final.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.contracts import JobInfo
from harness.lab.android.os.jobs import JobScheduler
from harness.lab.android.os.jobs.dump import dump_jobscheduler
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from tests import labkit

MIN, HOUR = 60.0, 3600.0
PKG = "com.test.jobs"
SVC = f"{PKG}/.TestJobService"


class StandInPower:
    """PowerModel with plain attributes; ``set(...)`` changes them and notifies like the real part."""

    def __init__(self) -> None:
        self.screen_on = False
        self.network_connected = True
        self.plugged = False
        self.level = 80
        self.deep = "ACTIVE"
        self.idle = False
        self.allowlist: set[str] = set()
        self.listeners: list[Callable[[str], None]] = []
        self.probe: Callable[[], bool] = lambda: False

    def charging(self) -> bool:
        return self.plugged

    def battery_level(self) -> int:
        return self.level

    def battery_not_low(self) -> bool:
        return self.plugged or self.level > 15

    def deep_state(self) -> str:
        return self.deep

    def light_state(self) -> str:
        return "OVERRIDE" if self.deep == "IDLE" else "ACTIVE"

    def dozing(self) -> bool:
        return self.deep == "IDLE"

    def device_idle(self) -> bool:
        return self.idle

    def whitelisted(self, package: str) -> bool:
        return package in self.allowlist

    def on_change(self, listener: Callable[[str], None]) -> None:
        self.listeners.append(listener)

    def set_work_probe(self, probe: Callable[[], bool]) -> None:
        self.probe = probe

    def set(self, what: str, **attrs: object) -> None:
        for name, value in attrs.items():
            setattr(self, name, value)
        for listener in list(self.listeners):
            listener(what)


class StandInActivity:
    """ActivityModel that only tracks the foreground app and the processes jobs start."""

    def __init__(self) -> None:
        self.foreground: set[str] = set()
        self.started: list[tuple[str, str, str]] = []
        self.launch: list[Callable[[str], None]] = []
        self.background: list[Callable[[str], None]] = []
        self.died: list[Callable[[str, int], None]] = []

    def pid_of(self, package: str) -> int | None:
        return 4242 if self.started else None

    def in_foreground(self, package: str) -> bool:
        return package in self.foreground

    def ensure_process(self, package: str, hosting_type: str, component: str) -> int:
        self.started.append((package, hosting_type, component))
        return 4242

    def kill(self, package: str, reason: str, *, killer_tag: str | None = None, adj: int | None = None) -> bool:
        return False

    def force_stop(self, package: str, reason: str) -> None:
        pass

    def on_force_stop(self, listener: Callable[[str, str], None]) -> None:
        pass

    def on_process_died(self, listener: Callable[[str, int], None]) -> None:
        self.died.append(listener)

    def on_launch(self, listener: Callable[[str], None]) -> None:
        self.launch.append(listener)

    def on_background(self, listener: Callable[[str], None]) -> None:
        self.background.append(listener)

    def to_foreground(self, package: str) -> None:
        self.foreground.add(package)
        for listener in list(self.launch):
            listener(package)

    def to_background(self, package: str) -> None:
        self.foreground.discard(package)
        for listener in list(self.background):
            listener(package)


class RecordingClient:
    """A JobService: records starts and stops; finishes after ``work_s`` unless that is None."""

    def __init__(self, dev: AndroidDevice, work_s: float | None = 5.0) -> None:
        self.dev = dev
        self.work_s = work_s
        self.starts: list[tuple[float, int, str | None]] = []
        self.stops: list[tuple[float, int, str]] = []

    def on_start_job(self, package: str, job_id: int, namespace: str | None) -> None:
        self.starts.append((self.dev.clock.now(), job_id, namespace))
        if self.work_s is not None:
            self.dev.clock.call_later(self.work_s, lambda: self.dev.jobs.job_finished(package, job_id, namespace))

    def on_stop_job(self, package: str, job_id: int, namespace: str | None, reason: str) -> None:
        self.stops.append((self.dev.clock.now(), job_id, reason))


class Phone:
    def __init__(self, name: str = "pixel-8", work_s: float | None = 5.0) -> None:
        cfg = labkit.test_config()
        self.clock = ManualClock()
        self.dev = build_android(cfg, cfg.device(name), clock=self.clock)
        self.power = StandInPower()
        self.activity = StandInActivity()
        self.dev.power = self.power
        self.dev.activity = self.activity
        self.dev.packages.install(PKG)
        self.client = RecordingClient(self.dev, work_s)
        assert isinstance(self.dev.jobs, JobScheduler)
        self.jobs: JobScheduler = self.dev.jobs
        self.jobs.register_client(PKG, self.client)
        self.t0 = self.clock.now()

    def schedule(self, job: JobInfo) -> None:
        self.jobs.schedule(PKG, job)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def run_offsets(self) -> list[float]:
        return [t - self.t0 for t, _, _ in self.client.starts]

    def dump(self) -> str:
        return dump_jobscheduler(self.jobs, self.dev.packages.get(PKG).uid)  # type: ignore[union-attr]


@pytest.fixture
def phone() -> Iterator[Phone]:
    yield Phone()


def test_periodic_job_runs_once_per_period_inside_its_flex_window(phone: Phone) -> None:
    phone.power.set("charging", plugged=True)
    phone.schedule(JobInfo(1, SVC, periodic_s=15 * MIN, flex_s=5 * MIN))
    phone.advance(2 * HOUR)
    runs = phone.run_offsets()
    assert len(runs) == 8, runs
    for i, t in enumerate(runs):  # earliest = period end - flex, latest = period end (AOSP)
        end = (i + 1) * 15 * MIN
        assert end - 5 * MIN <= t <= end, (i, t)


def test_periodic_flex_below_five_minutes_is_raised(phone: Phone) -> None:
    phone.schedule(JobInfo(2, SVC, periodic_s=10 * MIN, flex_s=1 * MIN))
    assert "PERIODIC: interval=+15m0s0ms flex=+5m0s0ms" in phone.dump()
    assert "Run time: earliest=+10m0s0ms, latest=+15m0s0ms, original latest=+15m0s0ms" in phone.dump()


def test_rare_bucket_on_battery_gets_three_sessions_a_day_but_not_on_the_charger(phone: Phone) -> None:
    phone.dev.standby.set_bucket(PKG, 40, "f")
    phone.schedule(JobInfo(3, SVC, periodic_s=15 * MIN))
    phone.advance(24 * HOUR)
    assert len(phone.client.starts) == 3  # QuotaController: RARE max 3 sessions per 24 h
    assert "WITHIN_QUOTA" in phone.dump().split("Unsatisfied constraints:")[1].splitlines()[0]
    phone.power.set("charging", plugged=True)
    before = len(phone.client.starts)
    phone.advance(6 * HOUR)
    assert len(phone.client.starts) - before >= 20  # quota-free while charging


def test_restricted_bucket_runs_once_a_day_on_battery(phone: Phone) -> None:
    phone.dev.standby.set_bucket(PKG, 45, "f")
    phone.schedule(JobInfo(4, SVC, periodic_s=15 * MIN))
    phone.advance(24 * HOUR - 1)
    assert len(phone.client.starts) == 1
    dump = phone.dump()
    assert "Dynamic constraints: CHARGING BATTERY_NOT_LOW IDLE [0x7]" in dump
    assert "Standby bucket: RESTRICTED" in dump


def test_restricted_quota_still_applies_on_the_charger_unless_idle(phone: Phone) -> None:
    phone.dev.standby.set_bucket(PKG, 45, "f")
    phone.power.set("charging", plugged=True)
    phone.schedule(JobInfo(5, SVC, periodic_s=15 * MIN))
    phone.advance(4 * HOUR)
    assert len(phone.client.starts) == 1
    phone.power.set("screen", idle=True)  # charging + idle + battery ok: the dynamic constraints hold
    phone.advance(2 * HOUR)
    assert len(phone.client.starts) >= 7


def test_jobs_wait_for_the_doze_maintenance_window(phone: Phone) -> None:
    phone.power.set("deep", deep="IDLE")
    phone.schedule(JobInfo(6, SVC, min_latency_s=60))
    phone.advance(HOUR)
    assert phone.client.starts == []
    assert "readyNotDozing: false" in phone.dump()
    phone.power.set("deep", deep="IDLE_MAINTENANCE")
    phone.advance(1)
    assert [job for _, job, _ in phone.client.starts] == [6]
    assert phone.power.probe() is True  # the maintenance window waits for the running job


def test_doze_allowlisted_app_runs_while_dozing(phone: Phone) -> None:
    phone.power.set("whitelist", deep="IDLE", allowlist={PKG})
    phone.schedule(JobInfo(7, SVC))
    phone.advance(1)
    assert len(phone.client.starts) == 1
    assert "Doze whitelisted: true" in phone.dump()


def test_doze_stops_a_running_job(phone: Phone) -> None:
    phone.client.work_s = None
    phone.schedule(JobInfo(8, SVC))
    phone.advance(1)
    phone.power.set("deep", deep="IDLE")
    assert phone.client.stops and phone.client.stops[0][2] == "device_idle"


def test_background_restriction_holds_jobs_until_the_app_is_in_the_foreground(phone: Phone) -> None:
    phone.dev.appops.set_mode(PKG, 70, 1)  # type: ignore[attr-defined]
    phone.schedule(JobInfo(9, SVC))
    phone.advance(HOUR)
    assert phone.client.starts == []
    assert "[RUN_ANY_IN_BACKGROUND disallowed] WAITING" in phone.dump()
    phone.activity.to_foreground(PKG)
    phone.advance(1)
    assert len(phone.client.starts) == 1


def test_persisted_jobs_survive_a_reboot_and_the_rest_do_not(phone: Phone) -> None:
    phone.schedule(JobInfo(10, SVC, min_latency_s=HOUR, persisted=True))
    phone.schedule(JobInfo(11, SVC, min_latency_s=HOUR))
    old_hash = phone.jobs.jobs[(phone.dev.packages.get(PKG).uid, None, 10)].hash  # type: ignore[union-attr]
    phone.dev.shutdown()
    phone.advance(30)
    phone.dev.boot()
    assert phone.jobs.job_ids(PKG) == [(None, 10)]
    assert f": {old_hash} " not in phone.dump()  # a new JobStatus object after boot
    assert "PERSISTED" in phone.dump()


def test_a_job_that_never_finishes_times_out_after_ten_minutes(phone: Phone) -> None:
    phone.client.work_s = None
    phone.schedule(JobInfo(12, SVC))
    phone.advance(10 * MIN + 1)
    assert [(job, reason) for _, job, reason in phone.client.stops] == [(12, "timeout")]
    lines = [e.msg for e in phone.dev.logs.entries(["system"]) if e.tag == "JobServiceContext"]
    uid = phone.dev.packages.get(PKG).uid  # type: ignore[union-attr]
    assert any(line.startswith("Client timed out while executing (no jobFinished received). Sending onStop: ")
               and line.endswith(f" #u0a{uid - 10_000}/12 {PKG}/.TestJobService") for line in lines), lines
    dump = phone.dump()
    assert f" STOP-P: #u0a{uid - 10_000}/12 {PKG}/.TestJobService client timed out" in dump
    assert "Num failures: 1" in dump  # rescheduled with back-off


def test_force_stop_cancels_every_job_and_stops_the_running_one(phone: Phone) -> None:
    phone.client.work_s = None
    phone.schedule(JobInfo(13, SVC))
    phone.schedule(JobInfo(14, SVC, namespace="androidx.work.systemjobscheduler", min_latency_s=HOUR))
    phone.advance(1)
    assert phone.jobs.cancel_all(PKG, "app force stopped") == 2
    assert phone.jobs.job_ids(PKG) == []
    assert [(job, reason) for _, job, reason in phone.client.stops] == [(13, "canceled")]


def test_job_finished_with_reschedule_backs_off_exponentially(phone: Phone) -> None:
    phone.client.work_s = None
    phone.schedule(JobInfo(15, SVC))
    phone.advance(1)
    phone.jobs.job_finished(PKG, 15, None, reschedule=True)
    assert "Run time: earliest=+30s0ms, latest=none, original latest=none" in phone.dump()
    phone.advance(31)
    phone.jobs.job_finished(PKG, 15, None, reschedule=True)
    assert "Run time: earliest=+1m0s0ms" in phone.dump()


def test_job_starts_the_app_process_for_its_service(phone: Phone) -> None:
    service = f"{PKG}/androidx.work.impl.background.systemjob.SystemJobService"
    phone.schedule(JobInfo(16, service))
    phone.advance(1)
    assert phone.activity.started == [(PKG, "service", service)]

"""The app's WorkManager (androidx.work): work specs, job ids, the JobScheduler jobs behind them, its logs.

Read in androidx (reference §2.6, §7.1–7.2): job ids come from ``IdGenerator`` (starts at 0, only
grows); ``SystemJobScheduler`` reuses a work spec's id (``SystemIdInfo``) and logs ``Scheduling work ID
<uuid>Job ID <n>`` (no space, sic); on API 34+ jobs live in the ``androidx.work.systemjobscheduler``
namespace; WorkManager's minimum log level is INFO unless the app lowers it, and this lab app lowers it
to DEBUG (``min_level``) so the ``WM-ForceStopRunnable`` lines show. ``DiagnosticsWorker``'s tables
are the source's format. Periodic work is scheduled as a one-off job with a minimum latency, as
``SystemJobInfoConverter`` does.

Lab choice (reference §9 "ids may change"): when ``ForceStopRunnable`` reschedules after a
force-stop, work whose job vanished gets a *new* id from the IdGenerator. Real WorkManager keeps the
``SystemIdInfo`` id; the lab changes it so harness code cannot rely on stable ids.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.lab.android.os.apps._host import AppHost
from harness.lab.android.os.contracts import JobInfo

__all__ = ["SYSTEM_JOB_SERVICE", "WM_NAMESPACE", "Constraints", "WorkManager", "WorkSpec", "Worker"]

WM_NAMESPACE = "androidx.work.systemjobscheduler"
SYSTEM_JOB_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"
DIAGNOSTICS_WORKER = "androidx.work.impl.workers.DiagnosticsWorker"
BACKOFF_S = 30.0  # JobInfo backoff the jobs get (policy=1 initial=+30s0ms in real dumps)
_LEVELS = "VDIWEF"


@dataclass(frozen=True)
class Constraints:
    battery_not_low: bool = False
    network: bool = False
    charging: bool = False
    device_idle: bool = False


@dataclass
class WorkSpec:
    id: str
    worker_class: str
    unique_name: str | None
    constraints: Constraints = field(default_factory=Constraints)
    interval_s: float | None = None
    initial_delay_s: float = 0.0
    state: str = "ENQUEUED"  # ENQUEUED RUNNING SUCCEEDED FAILED CANCELLED
    last_enqueue: float = 0.0
    period_count: int = 0
    job_id: int | None = None  # SystemIdInfo
    finished_at: float | None = None

    @property
    def description(self) -> str:
        return f"Work [ id={self.id}, tags={{ {self.worker_class} }} ]"

    @property
    def generational(self) -> str:
        return f"WorkGenerationalId(workSpecId={self.id}, generation=0)"


# A worker runs in the app and calls back with "SUCCESS", "FAILURE" or "RETRY".
Worker = Callable[[WorkSpec, Callable[[str], None]], None]


class WorkManager:
    def __init__(self, host: AppHost, *, min_level: str = "D") -> None:
        self.host = host
        self.min_level = min_level
        self.specs: dict[str, WorkSpec] = {}  # the WorkDatabase, kept on "disk"
        self.next_job_id = 0  # IdGenerator's next_job_scheduler_id
        self.last_force_stop_s = 0.0  # PreferenceUtils' last force-stop event
        self.workers: dict[str, Worker] = {}
        self._uuids = random.Random(host.dev.ident.seed * 31 + 5)  # work ids, apart from dev.rng

    @property
    def namespace(self) -> str | None:
        return WM_NAMESPACE if self.host.dev.sdk >= 34 else None

    def log(self, prio: str, name: str, msg: str) -> None:
        if _LEVELS.index(prio) >= _LEVELS.index(self.min_level):
            self.host.log(prio, ("WM-" + name)[:23], msg, thread="wm")

    # -- enqueueing -----------------------------------------------------------------------------
    def unique(self, name: str) -> WorkSpec | None:
        return next((s for s in self.specs.values()
                     if s.unique_name == name and s.state in ("ENQUEUED", "RUNNING")), None)

    def enqueue_unique_periodic(self, name: str, worker_class: str, interval_s: float, constraints: Constraints,
                                initial_delay_s: float) -> WorkSpec:
        """``enqueueUniquePeriodicWork(name, CANCEL_AND_REENQUEUE, request)``: a new spec, a new job id."""
        self.cancel_unique(name)
        spec = WorkSpec(self._new_uuid(), worker_class, name, constraints, max(interval_s, 900.0), initial_delay_s,
                        last_enqueue=self.host.dev.clock.now())
        self.specs[spec.id] = spec
        self._schedule(spec, initial_delay_s)
        return spec

    def cancel_unique(self, name: str) -> None:
        spec = self.unique(name)
        if spec is None:
            return
        spec.state, spec.finished_at = "CANCELLED", self.host.dev.clock.now()
        if spec.job_id is not None:
            self.host.cancel_job(spec.job_id, self.namespace)
            spec.job_id = None

    def _new_uuid(self) -> str:
        return str(uuid.UUID(int=self._uuids.getrandbits(128), version=4))

    def _next_id(self) -> int:
        job_id = self.next_job_id
        self.next_job_id += 1
        return job_id

    def _schedule(self, spec: WorkSpec, delay_s: float) -> None:
        """SystemJobScheduler.schedule: reuse the spec's SystemIdInfo id or take the next one."""
        if spec.job_id is None:
            spec.job_id = self._next_id()
        self.log("D", "SystemJobScheduler", f"Scheduling work ID {spec.id}Job ID {spec.job_id}")
        c = spec.constraints
        job = JobInfo(
            spec.job_id, f"{self.host.package}/{SYSTEM_JOB_SERVICE}", namespace=self.namespace,
            min_latency_s=max(0.0, delay_s), requires_charging=c.charging, requires_battery_not_low=c.battery_not_low,
            requires_device_idle=c.device_idle, requires_network=c.network,
            extras={"EXTRA_WORK_SPEC_ID": spec.id, "EXTRA_WORK_SPEC_GENERATION": "0",
                    "EXTRA_IS_PERIODIC": str(spec.interval_s is not None).lower()},
            tag=spec.unique_name)
        if not self.host.schedule_job(job):
            self.log("W", "SystemJobScheduler", f"Unable to schedule work ID {spec.id}")

    # -- process start (ForceStopRunnable) ------------------------------------------------------
    def initialize(self, force_stopped_at: float | None, reschedule_needed: bool) -> None:
        if force_stopped_at is not None and force_stopped_at > self.last_force_stop_s:
            self.log("D", "ForceStopRunnable", "Application was force-stopped, rescheduling.")
            self.last_force_stop_s = force_stopped_at
            self.reschedule_eligible(new_ids_for_lost=True)
        elif reschedule_needed:
            self.log("D", "ForceStopRunnable", "Rescheduling Workers.")
            self.reschedule_eligible(new_ids_for_lost=False)
        else:
            lost = [s for s in self._eligible() if not self._job_exists(s)]
            if lost:
                self.log("D", "ForceStopRunnable", "Found unfinished work, scheduling it.")
                for spec in lost:
                    self._schedule(spec, self._delay_for(spec))

    def _eligible(self) -> list[WorkSpec]:
        return [s for s in self.specs.values() if s.state in ("ENQUEUED", "RUNNING")]

    def _job_exists(self, spec: WorkSpec) -> bool:
        return spec.job_id is not None and (self.namespace, spec.job_id) in self.host.job_ids()

    def reschedule_eligible(self, *, new_ids_for_lost: bool) -> None:
        """``WorkManagerImpl.rescheduleEligibleWork``: cancel in all namespaces, schedule again."""
        for spec in self._eligible():
            lost = not self._job_exists(spec)
            if spec.job_id is not None:
                self.host.cancel_job(spec.job_id, self.namespace)
            if lost and new_ids_for_lost:
                spec.job_id = None
            spec.state = "ENQUEUED"
            self._schedule(spec, self._delay_for(spec))

    def _delay_for(self, spec: WorkSpec) -> float:
        now = self.host.dev.clock.now()
        period = spec.interval_s if spec.period_count else spec.initial_delay_s
        return max(0.0, spec.last_enqueue + (period or 0.0) - now)

    # -- running (SystemJobService → Processor → WorkerWrapper) ---------------------------------
    def owns(self, namespace: str | None, job_id: int) -> WorkSpec | None:
        if namespace != self.namespace:
            return None
        return next((s for s in self.specs.values() if s.job_id == job_id and s.state != "CANCELLED"), None)

    def start_job(self, spec: WorkSpec, on_done: Callable[[], None]) -> None:
        self.log("D", "SystemJobService", f"onStartJob for {spec.generational}")
        worker = self.workers.get(spec.worker_class)
        if worker is None:
            self.log("E", "WorkerWrapper", f"Could not create Worker {spec.worker_class}")
            on_done()
            return
        spec.state = "RUNNING"

        def finished(result: str) -> None:
            self._finished(spec, result)
            on_done()

        worker(spec, finished)

    def _finished(self, spec: WorkSpec, result: str) -> None:
        if spec.state != "RUNNING":
            return
        now = self.host.dev.clock.now()
        self.log("I", "WorkerWrapper", f"Worker result {result} for {spec.description}")
        if spec.interval_s is not None:  # periodic: back to ENQUEUED for the next period
            spec.state, spec.last_enqueue = "ENQUEUED", now
            spec.period_count += 1
        else:
            spec.state, spec.finished_at = ("SUCCEEDED" if result == "SUCCESS" else "FAILED"), now
        self.log("D", "SystemJobService", f"{spec.id} executed on JobScheduler")

    def reschedule_after_run(self, spec: WorkSpec) -> None:
        if spec.state == "ENQUEUED" and spec.interval_s is not None:
            self._schedule(spec, spec.interval_s)

    def stop_job(self, spec: WorkSpec) -> None:
        """onStopJob: the worker is interrupted; the job comes back after the backoff."""
        self.log("D", "SystemJobService", f"onStopJob for {spec.generational}")
        if spec.state == "RUNNING":
            spec.state = "ENQUEUED"
            self._schedule(spec, BACKOFF_S)

    def process_died(self) -> None:
        """Running workers die with the process; WorkManager finds them unfinished at the next start."""
        for spec in self.specs.values():
            if spec.state == "RUNNING":
                spec.state = "ENQUEUED"

    # -- diagnostics ----------------------------------------------------------------------------
    def run_diagnostics(self) -> None:
        """DiagnosticsReceiver enqueues a one-time DiagnosticsWorker, which logs three tables."""
        self.log("D", "DiagnosticsRcvr", "Requesting diagnostics")
        now = self.host.dev.clock.now()
        worker = WorkSpec(self._new_uuid(), DIAGNOSTICS_WORKER, None, state="RUNNING", last_enqueue=now)
        worker.job_id = self._next_id()  # SystemJobScheduler takes an id too; the greedy run wins
        self.specs[worker.id] = worker
        specs = list(self.specs.values())
        completed = [s for s in specs if s.finished_at is not None and now - s.finished_at < 86_400]
        for title, rows in (("Recently completed work:", completed),
                            ("Running work:", [s for s in specs if s.state == "RUNNING"]),
                            ("Enqueued work:", [s for s in specs if s.state == "ENQUEUED"])):
            if rows:
                self.log("I", "DiagnosticsWrkr", title + "\n\n")
                self.log("I", "DiagnosticsWrkr", self._table(rows))
        worker.state, worker.finished_at = "SUCCEEDED", now
        self.log("I", "WorkerWrapper", f"Worker result SUCCESS for {worker.description}")

    @staticmethod
    def _table(rows: list[WorkSpec]) -> str:
        out = "\n Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t"
        for s in rows:
            job = "null" if s.job_id is None else str(s.job_id)
            out += f"\n{s.id}\t {s.worker_class}\t {job}\t {s.state}\t {s.unique_name or ''}\t {s.worker_class}\t"
        return out

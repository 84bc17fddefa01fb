"""``dev.jobs``: JobSchedulerService — the job store, readiness, the pending queue and job execution.

Every state change (a schedule, a power/Doze/bucket/appops/foreground change, a timer) re-evaluates
all jobs: each gets its satisfied constraints recomputed, running jobs that are no longer ready are
stopped (``stopNonReadyActiveJobsLocked``), ready ones go to the pending queue, and the queue is
drained on the next turn of the clock (``maybeRunPendingJobsLocked`` runs from a handler in AOSP, so
``cmd jobscheduler run`` returns before ``onStartJob``). One timer wakes the scheduler at the next
time-based change: an earliest or latest run time, or the moment quota comes back.

Persisted jobs survive a reboot as new JobStatus objects with no failures (JobStore); the rest, the
history and the quota counters are lost.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.contracts import JobClient, JobInfo
from harness.lab.android.os.jobs.constraints import (
    CONNECTIVITY,
    DEADLINE,
    DYNAMIC_RESTRICTED,
    OVERRIDE_FULL,
    OVERRIDE_NONE,
    OVERRIDE_SOFT,
    OVERRIDE_SORTING,
    TIMING_DELAY,
    WITHIN_QUOTA,
    DeviceState,
    Readiness,
    constraints_satisfied,
    readiness,
    satisfied_mask,
)
from harness.lab.android.os.jobs.execution import TIMEOUT_LOG, ContextPool, ServiceContext
from harness.lab.android.os.jobs.jobstatus import JobHistory, JobKey, JobStatus, component_parts
from harness.lab.android.os.jobs.quota import NEVER_INDEX, QuotaTracker
from harness.lab.android.os.jobs.standby import RESTRICTED, bucket_index
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["CMD_ERR_CONSTRAINTS", "CMD_ERR_NO_JOB", "CMD_ERR_NO_PACKAGE", "WORKMANAGER_NAMESPACE", "JobScheduler"]

CMD_ERR_NO_PACKAGE, CMD_ERR_NO_JOB, CMD_ERR_CONSTRAINTS = -1000, -1001, -1002  # JobSchedulerShellCommand
# androidx.work JobSchedulerExt.kt: WorkManager schedules in this namespace on API 34+.
WORKMANAGER_NAMESPACE = "androidx.work.systemjobscheduler"
TAG = "JobScheduler"


class JobScheduler:
    """The JobModel of ``os/contracts.py``, plus what ``cmd``/``dumpsys jobscheduler`` need."""

    def __init__(self, dev: AndroidDevice, state: DeviceState) -> None:
        self.dev = dev
        self.state = state
        self.quota = QuotaTracker()
        self.history = JobHistory()
        self.pool = ContextPool()
        self.jobs: dict[JobKey, JobStatus] = {}
        self.pending: list[JobStatus] = []
        self.completed: deque[tuple[float, JobStatus]] = deque(maxlen=20)
        self.clients: dict[str, JobClient] = {}
        self.work_probes: list[Callable[[], bool]] = [lambda: bool(self.pool.active())]
        self.battery_monitoring = False
        self.battery_seq = -1
        self._rng = random.Random(f"{dev.ident.seed}:{dev.name}:jobs")
        self._wake: Timer | None = None
        self._kick: Timer | None = None
        self._evaluating = self._dirty = False
        self._hooked: list[object] = []  # the power/activity objects subscribed to
        dev.on_shutdown(self._on_shutdown)
        dev.on_boot(self._on_boot)
        state.standby.on_change(lambda _pkg, _bucket: self.evaluate())
        state.appops.on_change(lambda _pkg, _op: self.evaluate())

    # -- JobModel -------------------------------------------------------------------------------
    def schedule(self, package: str, job: JobInfo) -> None:
        uid = self.uid_of(package)
        if uid is None:
            raise ValueError(f"{self.dev.name}: cannot schedule job {job.job_id}: package {package} is not installed")
        js = JobStatus.create(job, package, uid, self.now(), self.new_hash())
        old = self.jobs.get(js.key)
        if old is not None:
            self._remove(old, "job rescheduled by app")
        self.jobs[js.key] = js
        self.evaluate()

    def cancel(self, package: str, job_id: int, namespace: str | None, reason: str) -> bool:
        uid = self.uid_of(package)
        js = self.jobs.get((uid, namespace, job_id)) if uid is not None else None
        if js is None:
            return False
        self._remove(js, reason)
        self.evaluate()
        return True

    def cancel_all(self, package: str, reason: str) -> int:
        """Every job of the package in every namespace (force-stop: ``cancelJobsForPackageAndUid``)."""
        doomed = [js for js in self.jobs.values() if js.package == package]
        for js in doomed:
            self._remove(js, reason)
        if doomed:
            self.evaluate()
        return len(doomed)

    def job_ids(self, package: str) -> list[tuple[str | None, int]]:
        """What ``JobScheduler.getAllPendingJobs()`` would list, as (namespace, id) pairs."""
        return sorted(((js.namespace, js.job_id) for js in self.jobs.values() if js.package == package),
                      key=lambda item: (item[0] or "", item[1]))

    def job_finished(self, package: str, job_id: int, namespace: str | None, *, reschedule: bool = False) -> None:
        uid = self.uid_of(package)
        ctx = self.pool.find((uid, namespace, job_id)) if uid is not None else None
        if ctx is not None:  # a late jobFinished after a stop or a timeout is ignored, as in AOSP
            self._finish(ctx, "app called jobFinished", reschedule=reschedule, failure=reschedule)

    def register_client(self, package: str, client: JobClient) -> None:
        self.clients[package] = client

    # -- helpers for the other parts and the shell ------------------------------------------------
    def now(self) -> float:
        return self.dev.clock.now()

    def new_hash(self) -> str:
        return f"{self._rng.randrange(0x1000000, 0x10000000):x}"  # identityHashCode-like, 7 hex digits

    def uid_of(self, package: str, user: int = 0) -> int | None:
        pkg = self.dev.packages.get(package)
        return pkg.uid if pkg is not None and user in (0, -1, -2) else None

    def any_running(self) -> bool:
        return any(probe() for probe in self.work_probes)

    def running(self, package: str | None = None) -> list[JobStatus]:
        return [c.job for c in self.pool.active() if c.job is not None and package in (None, c.job.package)]

    def is_active(self, js: JobStatus) -> bool:
        return self.pool.find(js.key) is not None

    def bucket_index(self, package: str) -> int:
        return bucket_index(self.state.standby.bucket(package))

    def check(self, js: JobStatus, now: float | None = None) -> Readiness:
        """Recompute the job's constraints now (what the controllers would have set) and its readiness."""
        now = self.now() if now is None else now
        bucket = self.state.standby.bucket(js.package)
        dynamic = DYNAMIC_RESTRICTED if js.required & CONNECTIVITY else DYNAMIC_RESTRICTED & ~CONNECTIVITY
        js.dynamic = dynamic if bucket == RESTRICTED else 0
        sat = satisfied_mask(js, self.state, now, self._within_quota(js, now))
        js.note_satisfied(now, sat)
        return readiness(js, sat, never_bucket=bucket_index(bucket) == NEVER_INDEX)

    def ready_to_execute(self, js: JobStatus, r: Readiness) -> bool:
        return r.ready and js not in self.pending and not self.is_active(js)

    def run_command(self, package: str, user: int, namespace: str | None, job_id: int, *, satisfied: bool,
                    force: bool) -> int:
        """``executeRunCommand`` (15-era: the namespace is part of the log line)."""
        ns = "null" if namespace is None else namespace  # Java string concatenation of a null
        self.dev.syslog("D", TAG, f"executeRunCommand(): {package}/{ns}/{user} {job_id} "
                                  f"s={'true' if satisfied else 'false'} f={'true' if force else 'false'}")
        uid = self.uid_of(package, user)
        if uid is None:
            return CMD_ERR_NO_PACKAGE
        js = self.jobs.get((uid, namespace, job_id))
        if js is None:
            return CMD_ERR_NO_JOB
        js.override = OVERRIDE_FULL if force else OVERRIDE_SORTING if satisfied else OVERRIDE_SOFT
        self.check(js)
        if not constraints_satisfied(js, js.satisfied):
            js.override = OVERRIDE_NONE
            return CMD_ERR_CONSTRAINTS
        self.evaluate()
        return 0

    def trigger_idle(self) -> bool:
        """ACTION_TRIGGER_IDLE (``am idle-maintenance``): DeviceIdlenessTracker.handleIdleTrigger marks the
        device idle at once, but only while the screen is off; returns whether it is idle now."""
        power = self.state.power
        if power is not None and not power.screen_on and not self.state.idle_triggered:
            self.state.idle_triggered = True
            self.evaluate()
        return self.state.device_idle()

    def stop_command(self, package: str | None, user: int, namespace: str | None, job_id: int | None,
                     internal: str) -> list[JobStatus]:
        """``executeStopCommand``: stop matching executing jobs; the namespace must match exactly."""
        stopped = []
        for ctx in self.pool.active():
            js = ctx.job
            if js is None or user not in (-1, 0) or package not in (None, js.package):
                continue
            if js.namespace == namespace and job_id in (None, js.job_id):
                stopped.append(js)
                self._stop(ctx, internal, "stop from shell", reschedule=True, failure=internal == "timeout")
        return stopped

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self) -> None:
        if self._evaluating:
            self._dirty = True
            return
        self._evaluating = True
        try:
            self._dirty = True
            while self._dirty:
                self._dirty = False
                self._evaluate_once()
        finally:
            self._evaluating = False

    def _evaluate_once(self) -> None:
        if not self.dev.booted:
            return
        self.hook_parts()
        now = self.now()
        for ctx in self.pool.active():
            if ctx.job is not None and not self.check(ctx.job, now).ready:
                self._stop(ctx, *self._stop_reason(ctx.job), reschedule=True, failure=False)
        for js in sorted(self.jobs.values(), key=lambda j: (j.uid, j.job_id)):
            if self.ready_to_execute(js, self.check(js, now)):
                js.made_pending_s = now
                self.pending.append(js)
        if self.pending and self._kick is None:
            self._kick = self.dev.clock.call_later(0.0, self._run_pending)
        self._arm_wake(now)

    def _within_quota(self, js: JobStatus, now: float) -> bool:
        if js.info.expedited or self.state.foreground(js.package):
            return True
        index = self.bucket_index(js.package)
        if self.is_active(js):  # a running job keeps its quota until its time runs out
            used = self.quota.execution_s(js.package, now, 24 * 3600)
            return index != NEVER_INDEX and used < self.quota.c.max_execution_s
        return self.quota.within_quota(js.package, index, now, charging=self.state.charging())

    def _stop_reason(self, js: JobStatus) -> tuple[str, str]:
        if not self.state.doze_allowed(js.package) and not js.info.expedited:
            return "device_idle", "cancelled due to doze"
        if not self.state.bg_allowed(js.package):
            return "constraints", "cancelled due to background restriction"
        if not js.satisfied & WITHIN_QUOTA:
            return "quota", "cancelled due to quota"
        return "constraints", "cancelled due to unsatisfied constraints"

    def _arm_wake(self, now: float) -> None:
        times = []
        for js in self.jobs.values():
            if self.is_active(js):
                continue
            if js.required & TIMING_DELAY and js.earliest_s is not None and js.earliest_s > now:
                times.append(js.earliest_s)
            if js.required & DEADLINE and js.latest_s is not None and js.latest_s > now:
                times.append(js.latest_s)
            if not js.satisfied & WITHIN_QUOTA:
                back = self.quota.next_in_quota(js.package, self.bucket_index(js.package), now)
                times.extend([back] if back is not None else [])
        when = min(times, default=None)
        if self._wake is not None and (when is None or self._wake.when != when):
            self._wake.cancel()
            self._wake = None
        if when is not None and self._wake is None:
            self._wake = self.dev.clock.call_at(when, self._on_wake)

    def _on_wake(self) -> None:
        self._wake = None
        self.evaluate()

    # -- execution ----------------------------------------------------------------------------
    def _run_pending(self) -> None:
        self._kick = None
        while self.pending and self.dev.booted:
            js = self.pending[0]
            if self.jobs.get(js.key) is not js:
                self.pending.pop(0)
                continue
            ctx = self.pool.acquire()
            if ctx is None:
                break
            self.pending.pop(0)
            self._start(ctx, js)
        self.evaluate()

    def _start(self, ctx: ServiceContext, js: JobStatus) -> None:
        now = self.now()
        ctx.job, ctx.started_s, js.made_active_s = js, now, now
        ctx.timer = self.dev.clock.call_at(ctx.timeout_at_s, lambda: self._timeout(ctx, js))
        self.quota.job_started(js.package, now)
        self.history.note_active(js, now)
        if self.state.activity is not None:
            pkg, cls = component_parts(js.package, js.info.service)
            self.state.activity.ensure_process(js.package, "service", f"{pkg}/{cls}")
        client = self.clients.get(js.package)
        if client is not None:
            client.on_start_job(js.package, js.job_id, js.namespace)
        else:  # no modelled JobService: it returns from onStartJob with its work done
            self.dev.clock.call_later(0.0, lambda: self.job_finished(js.package, js.job_id, js.namespace))

    def _timeout(self, ctx: ServiceContext, js: JobStatus) -> None:
        if ctx.job is not js:
            return
        self.dev.syslog("I", "JobServiceContext", TIMEOUT_LOG + js.short_string)
        self._stop(ctx, "timeout", "client timed out", reschedule=True, failure=True)

    def _stop(self, ctx: ServiceContext, internal: str, debug: str, *, reschedule: bool, failure: bool) -> None:
        """Send ``onStopJob``; the app's answer is taken as "reschedule me" (WorkManager's)."""
        js = ctx.job
        if js is None:
            return
        client = self.clients.get(js.package)
        if client is not None:
            client.on_stop_job(js.package, js.job_id, js.namespace, internal)
        self._finish(ctx, debug, reschedule=reschedule, failure=failure)

    def _finish(self, ctx: ServiceContext, reason: str, *, reschedule: bool, failure: bool) -> None:
        """``onJobCompletedLocked``: back off on reschedule, else a periodic job gets its next window."""
        js, now = ctx.job, self.now()
        if js is None:
            return
        self.pool.release(ctx, now, reason)
        self.quota.job_stopped(js.package, now)
        self.history.note_inactive(js, now, reason)
        self.completed.append((now, js))
        if self.jobs.get(js.key) is js:
            del self.jobs[js.key]
            successor = None
            if reschedule:
                successor = js.backed_off(now, self.new_hash(), failure=failure)
            elif js.periodic:
                successor = js.next_period(now, self.new_hash())
            if successor is not None:
                self.jobs[successor.key] = successor
        self.evaluate()

    def _remove(self, js: JobStatus, reason: str) -> None:
        self.jobs.pop(js.key, None)
        if js in self.pending:
            self.pending.remove(js)
        ctx = self.pool.find(js.key)
        if ctx is not None:
            self._stop(ctx, "canceled", reason, reschedule=False, failure=False)

    # -- the other parts ------------------------------------------------------------------------
    def hook_parts(self) -> None:
        """Subscribe to power and activity once they exist (they may be installed after this part)."""
        power, activity = self.state.power, self.state.activity
        if power is not None and not any(power is o for o in self._hooked):
            self._hooked.append(power)
            power.on_change(self._on_power)
            power.set_work_probe(self.any_running)
        if activity is not None and not any(activity is o for o in self._hooked):
            self._hooked.append(activity)
            activity.on_launch(lambda _pkg: self.evaluate())
            activity.on_background(lambda _pkg: self.evaluate())
            activity.on_process_died(self._on_process_died)

    def _on_power(self, what: str) -> None:
        if self.battery_monitoring and what in ("battery", "charging"):
            self.battery_seq += 1
        power = self.state.power
        if what == "screen" and power is not None and power.screen_on:
            self.state.idle_triggered = False  # ACTION_SCREEN_ON: the tracker leaves idle
        self.evaluate()

    def _on_process_died(self, package: str, _pid: int) -> None:
        for ctx in self.pool.active():
            if ctx.job is not None and ctx.job.package == package:
                self._finish(ctx, "unexpectedly disconnected", reschedule=True, failure=False)

    def _on_shutdown(self) -> None:
        for timer in (self._wake, self._kick):
            if timer is not None:
                timer.cancel()
        self._wake = self._kick = None
        self.state.idle_triggered = False
        self.pool.clear()
        self.pending.clear()
        self.completed.clear()
        self.history.clear()
        self.quota.reset()
        self.jobs = {key: js for key, js in self.jobs.items() if js.info.persisted}

    def _on_boot(self) -> None:
        now = self.now()
        self.jobs = {key: js.renewed(now, self.new_hash(), js.earliest_s, js.latest_s)
                     for key, js in self.jobs.items()}
        for js in self.jobs.values():
            js.num_failures = 0  # "a freshly loaded job [is] no longer in back-off" (JobStatus)
        self.evaluate()

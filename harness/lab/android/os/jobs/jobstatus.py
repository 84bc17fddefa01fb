"""One scheduled job as JobScheduler holds it (``JobStatus``), its run-time window math, and the
``Job history`` ring buffer (``JobPackageTracker``).

Times are device wall-clock seconds (``dev.clock.now()``); JobScheduler's own elapsed-realtime values
differ from them by a constant, and every dump prints them relative to now. Window math follows
``JobStatus.createFromJobInfo`` and ``JobSchedulerService.getRescheduleJobForPeriodic`` /
``getRescheduleJobForFailureLocked`` (14-era trees, see shared/reference/android.md §0).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

from harness.lab.android.os.base import uid_text
from harness.lab.android.os.contracts import JobInfo
from harness.lab.android.os.jobs.constraints import (
    BATTERY_NOT_LOW,
    CHARGING,
    CONNECTIVITY,
    DEADLINE,
    IDLE,
    OVERRIDE_NONE,
    TIMING_DELAY,
)

__all__ = ["HistoryEvent", "JobHistory", "JobKey", "JobStatus", "component_parts", "short_component"]

MIN = 60.0
MIN_PERIOD_S = 15 * MIN  # JobInfo.getMinPeriodMillis()
MIN_FLEX_S = 5 * MIN  # JobInfo.getMinFlexMillis()
MAX_PERIOD_S = 365 * 86_400.0  # JobSchedulerService.MAX_ALLOWED_PERIOD_MS
INITIAL_BACKOFF_S = 30.0  # JobInfo.DEFAULT_INITIAL_BACKOFF_MILLIS; policy 1 = exponential
MAX_BACKOFF_S = 5 * 3600.0  # JobInfo.MAX_BACKOFF_DELAY_MILLIS
RESCHEDULE_BUFFER_S = 30.0  # JobSchedulerService.RESCHEDULED_JOB_INITIAL_BACKOFF_MS
HISTORY_SIZE = 100  # JobPackageTracker.EVENT_BUFFER_SIZE

JobKey = tuple[int, str | None, int]  # (calling uid, namespace, job id): JobStatus.matches()


def component_parts(package: str, service: str) -> tuple[str, str]:
    """(package, full class) from ``pkg/.Svc``, ``pkg/a.b.Svc`` or a bare class name."""
    pkg, sep, cls = service.partition("/")
    if not sep:
        pkg, cls = package, service
    return pkg, pkg + cls if cls.startswith(".") else cls


def short_component(package: str, service: str) -> str:
    """``ComponentName.flattenToShortString``: the class is shortened to ``.Cls`` inside its package."""
    pkg, cls = component_parts(package, service)
    if cls.startswith(pkg + ".") and len(cls) > len(pkg) + 1:
        cls = cls[len(pkg):]
    return f"{pkg}/{cls}"


@dataclass(slots=True, eq=False)
class JobStatus:
    info: JobInfo
    package: str
    uid: int
    hash: str  # System.identityHashCode, new for every JobStatus object (each reschedule)
    enqueue_s: float
    earliest_s: float | None  # None = NO_EARLIEST_RUNTIME
    latest_s: float | None  # None = NO_LATEST_RUNTIME
    original_latest_s: float | None
    num_failures: int = 0
    last_success_s: float = 0.0
    last_failed_s: float = 0.0
    override: int = OVERRIDE_NONE
    dynamic: int = 0  # dynamic constraints (the RESTRICTED bucket's)
    satisfied: int = 0  # as of the last evaluation
    constraint_history: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=10))
    made_pending_s: float = 0.0
    made_active_s: float = 0.0

    # -- identity -------------------------------------------------------------------------------
    @property
    def job_id(self) -> int:
        return self.info.job_id

    @property
    def namespace(self) -> str | None:
        return self.info.namespace

    @property
    def key(self) -> JobKey:
        return (self.uid, self.namespace, self.job_id)

    @property
    def periodic(self) -> bool:
        return self.info.periodic_s is not None

    @property
    def component(self) -> str:
        return short_component(self.package, self.info.service)

    @property
    def battery_name(self) -> str:
        """The JobStatus constructor: ``@<namespace>@`` in front of the short component (API 34+)."""
        prefix = f"@{self.namespace}@" if self.namespace is not None else ""
        return prefix + self.component

    @property
    def unique_id(self) -> str:
        """``printUniqueId`` (14-era): ``#u0a12/5``, or ``<namespace>:u0a12/5`` for a namespaced job."""
        head = f"{self.namespace}:" if self.namespace is not None else "#"
        return f"{head}{uid_text(self.uid)}/{self.job_id}"

    @property
    def short_string(self) -> str:
        """``toShortString``: ``6412553 #u0a172/4 pkg/.Svc`` (``{ns}`` after the hash when namespaced)."""
        ns = f" {{{self.namespace}}}" if self.namespace is not None else ""
        return f"{self.hash}{ns} #{uid_text(self.uid)}/{self.job_id} {self.battery_name}"

    @property
    def wakelock_tag(self) -> str:
        return f"*job*/{self.battery_name}"

    # -- JobInfo as the builder normalised it ------------------------------------------------------
    @property
    def interval_s(self) -> float:
        return max(self.info.periodic_s or 0.0, MIN_PERIOD_S)

    @property
    def flex_s(self) -> float:
        """``JobInfo.Builder.setPeriodic``: at least 5 % of the interval and at least 5 min."""
        flex = self.info.flex_s if self.info.flex_s is not None else self.interval_s
        return max(flex, self.interval_s * 0.05, MIN_FLEX_S)

    @property
    def has_early_constraint(self) -> bool:
        return self.periodic or self.info.min_latency_s > 0

    @property
    def has_late_constraint(self) -> bool:
        return self.periodic or self.info.deadline_s is not None

    @property
    def required(self) -> int:
        info = self.info
        mask = (CHARGING if info.requires_charging else 0) | (BATTERY_NOT_LOW if info.requires_battery_not_low else 0)
        mask |= (IDLE if info.requires_device_idle else 0) | (CONNECTIVITY if info.requires_network else 0)
        mask |= TIMING_DELAY if self.earliest_s is not None else 0
        return mask | (DEADLINE if self.latest_s is not None else 0)

    def note_satisfied(self, now: float, mask: int) -> None:
        if mask != self.satisfied or not self.constraint_history:
            self.constraint_history.append((now, mask))
        self.satisfied = mask

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def create(cls, info: JobInfo, package: str, uid: int, now: float, hash_: str) -> JobStatus:
        """``JobStatus.createFromJobInfo``."""
        js = cls(info, package, uid, hash_, now, None, None, None)
        earliest: float | None
        latest: float | None
        if js.periodic:
            period = min(js.interval_s, MAX_PERIOD_S)
            latest = now + period
            earliest = latest - max(MIN_FLEX_S, min(period, js.flex_s))
        else:
            earliest = now + info.min_latency_s if info.min_latency_s > 0 else None
            latest = now + info.deadline_s if info.deadline_s is not None else None
        js.earliest_s, js.latest_s, js.original_latest_s = earliest, latest, latest
        return js

    def renewed(self, now: float, hash_: str, earliest: float | None, latest: float | None) -> JobStatus:
        """A new JobStatus for the same job (a reschedule, or one read back from disk at boot)."""
        return replace(self, hash=hash_, enqueue_s=now, earliest_s=earliest, latest_s=latest,
                       original_latest_s=latest, override=OVERRIDE_NONE, satisfied=0,
                       constraint_history=deque(maxlen=10), made_pending_s=0.0, made_active_s=0.0)

    def next_period(self, now: float, hash_: str) -> JobStatus:
        """``getRescheduleJobForPeriodic``: the next window after a run (or a late run)."""
        period = max(MIN_PERIOD_S, min(MAX_PERIOD_S, self.interval_s))
        flex = max(MIN_FLEX_S, min(period, self.flex_s))
        latest = self.original_latest_s if self.original_latest_s is not None else now
        diff, buffer = abs(now - latest), 0.0
        if now > latest:
            skipped = diff // period + 1
            if period != flex and period - flex - diff % period <= flex / 6:
                skipped += 1  # ran too close to the next window: skip it
            new_latest = latest + period * skipped
        else:
            new_latest = latest + period
            if diff < RESCHEDULE_BUFFER_S and diff < period / 6:
                buffer = min(RESCHEDULE_BUFFER_S, period / 6 - diff)
        js = self.renewed(now, hash_, new_latest - min(flex, period - buffer), new_latest)
        js.num_failures, js.last_success_s = 0, now
        return js

    def backed_off(self, now: float, hash_: str, *, failure: bool) -> JobStatus:
        """``getRescheduleJobForFailureLocked``: exponential back-off from 30 s, no deadline. A stop by
        the system (Doze, constraints) is not the app's failure and backs off one step only."""
        failures = self.num_failures + (1 if failure else 0)
        delay = min(INITIAL_BACKOFF_S * 2 ** (max(failures, 1) - 1), MAX_BACKOFF_S)
        js = self.renewed(now, hash_, now + delay, None)
        js.original_latest_s = self.original_latest_s if self.periodic else None
        js.num_failures, js.last_failed_s = failures, now
        return js


# JobPackageTracker event commands and their 7-wide labels.
START_JOB, STOP_JOB, START_PERIODIC_JOB, STOP_PERIODIC_JOB = 1, 2, 3, 4
_LABELS = {START_JOB: "  START", STOP_JOB: "   STOP", START_PERIODIC_JOB: "START-P", STOP_PERIODIC_JOB: " STOP-P"}


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    time_s: float
    cmd: int
    uid: int
    tag: str  # the battery name
    job_id: int
    reason: str | None

    @property
    def label(self) -> str:
        return _LABELS.get(self.cmd, "     ??")


class JobHistory:
    """``JobPackageTracker``'s event ring: START/STOP lines of ``dumpsys jobscheduler``."""

    def __init__(self) -> None:
        self.events: deque[HistoryEvent] = deque(maxlen=HISTORY_SIZE)

    def note_active(self, js: JobStatus, now: float) -> None:
        cmd = START_PERIODIC_JOB if js.periodic else START_JOB
        self.events.append(HistoryEvent(now, cmd, js.uid, js.battery_name, js.job_id, None))

    def note_inactive(self, js: JobStatus, now: float, reason: str) -> None:
        # AOSP swaps the two stop labels in noteInactive(): a one-off job's stop prints "STOP-P"
        # (the official debug page's sample shows START then STOP-P for a WorkManager job).
        cmd = STOP_JOB if js.periodic else STOP_PERIODIC_JOB
        self.events.append(HistoryEvent(now, cmd, js.uid, js.battery_name, js.job_id, reason))

    def clear(self) -> None:
        self.events.clear()

"""QuotaController: how much a package may run in its standby bucket's rolling window.

Numbers are QuotaController's 13-era defaults (shared/reference/android.md §2.4): 10 min of execution
per window (ACTIVE 10 min, WORKING_SET 2 h, FREQUENT 8 h, RARE 24 h, RESTRICTED 24 h), at most 4 h per
24 h, job and session counts per window, and 20 jobs or sessions per 60 s. Jobs that run back to back
(within 5 s) share a timing session. While charging nothing is counted against the quota except in
RESTRICTED (``isQuotaFreeLocked``); a foreground app is always within quota (``isWithinQuotaLocked``).
Expedited-job quota is not modelled: expedited jobs are treated as quota-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.lab.android.os.power._shell import JavaException, parse_int, parse_long

__all__ = ["DEFAULTS", "QcConstants", "QuotaTracker", "apply_properties", "constants_lines"]

MIN, HOUR = 60.0, 3600.0
# Indexed by JobScheduler's bucket index: ACTIVE 0, WORKING_SET 1, FREQUENT 2, RARE 3, NEVER 4,
# RESTRICTED 5, EXEMPTED 6 (JobSchedulerService.standbyBucketToBucketIndex).
BUCKETS = {6: "exempted", 0: "active", 1: "working", 2: "frequent", 3: "rare", 5: "restricted"}  # dump order
NEVER_INDEX, RESTRICTED_INDEX = 4, 5
MAX_PERIOD_S = 24 * HOUR


def _defaults() -> dict[str, int]:
    """The QcConstants keys the lab reads, with its defaults (values in ms or counts, as DeviceConfig holds them)."""
    window_s = {0: 10 * MIN, 1: 2 * HOUR, 2: 8 * HOUR, 3: 24 * HOUR, 5: 24 * HOUR, 6: 10 * MIN}
    jobs = {0: 75, 1: 120, 2: 200, 3: 48, 5: 10, 6: 75}
    sessions = {0: 75, 1: 10, 2: 8, 3: 3, 5: 1, 6: 75}
    values = {f"qc_allowed_time_per_period_{n}_ms": 10 * 60_000 for n in BUCKETS.values()}
    values["qc_in_quota_buffer_ms"] = 30_000
    values.update({f"qc_window_size_{n}_ms": int(window_s[i] * 1000) for i, n in BUCKETS.items()})
    values["qc_max_execution_time_ms"] = 4 * 3_600_000
    values.update({f"qc_max_job_count_{n}": jobs[i] for i, n in BUCKETS.items()})
    values.update(qc_rate_limiting_window_ms=60_000, qc_max_job_count_per_rate_limiting_window=20)
    values.update({f"qc_max_session_count_{n}": sessions[i] for i, n in BUCKETS.items()})
    values.update(qc_max_session_count_per_rate_limiting_window=20, qc_timing_session_coalescing_duration_ms=5000)
    return values


DEFAULTS = _defaults()


class QcConstants:
    """``QuotaController.QcConstants``: the raw values (what the dump prints) and the limits in force.

    The limits are the raw values clamped as ``processConstantLocked`` does (muhomorr/platform_frameworks_base-15
    ``apex/jobscheduler/service/java/com/android/server/job/controllers/QuotaController.java`` @e734c502b51c):
    allowed time per period in [1 min, max execution time], a bucket window in [its allowed time, 24 h]
    (RESTRICTED: 1 week), max execution time in [1 h, 24 h], job counts at least 10, session counts at least 1
    (RESTRICTED: 0), the rate-limiting window in [30 s, 24 h] with at least 10 jobs and 10 sessions, and session
    coalescing in [0, 15 min].
    """

    def __init__(self) -> None:
        self.raw: dict[str, int] = dict(DEFAULTS)
        self.apply()

    def apply(self) -> None:
        r = self.raw
        self.max_execution_s = max(HOUR, min(MAX_PERIOD_S, r["qc_max_execution_time_ms"] / 1000))
        self.allowed_s = {i: min(self.max_execution_s, max(MIN, r[f"qc_allowed_time_per_period_{n}_ms"] / 1000))
                          for i, n in BUCKETS.items()}
        self.window_s = {i: max(self.allowed_s[i], min(7 * MAX_PERIOD_S if i == RESTRICTED_INDEX else MAX_PERIOD_S,
                                                        r[f"qc_window_size_{n}_ms"] / 1000))
                         for i, n in BUCKETS.items()}
        self.max_job_count = {i: max(10, r[f"qc_max_job_count_{n}"]) for i, n in BUCKETS.items()}
        self.max_session_count = {i: max(0 if i == RESTRICTED_INDEX else 1, r[f"qc_max_session_count_{n}"])
                                  for i, n in BUCKETS.items()}
        self.rate_window_s = min(MAX_PERIOD_S, max(30.0, r["qc_rate_limiting_window_ms"] / 1000))
        self.max_jobs_per_rate = max(10, r["qc_max_job_count_per_rate_limiting_window"])
        self.max_sessions_per_rate = max(10, r["qc_max_session_count_per_rate_limiting_window"])
        self.coalesce_s = min(15 * MIN, max(0.0, r["qc_timing_session_coalescing_duration_ms"] / 1000))

    def limits(self) -> tuple[object, ...]:
        """Everything the tracker reads, to tell whether a change needs the jobs re-evaluated."""
        return (self.allowed_s, self.window_s, self.max_job_count, self.max_session_count, self.max_execution_s,
                self.rate_window_s, self.max_jobs_per_rate, self.max_sessions_per_rate, self.coalesce_s)


@dataclass(slots=True)
class _Session:
    start: float
    end: float | None = None  # None while a job of the package runs


@dataclass(slots=True)
class _Stats:
    sessions: list[_Session] = field(default_factory=list)
    job_starts: list[float] = field(default_factory=list)
    running: int = 0


class QuotaTracker:
    def __init__(self) -> None:
        self._stats: dict[str, _Stats] = {}
        self.c = QcConstants()

    # -- bookkeeping --------------------------------------------------------------------------
    def job_started(self, package: str, now: float) -> None:
        stats = self._stats.setdefault(package, _Stats())
        stats.job_starts.append(now)
        stats.running += 1
        last = stats.sessions[-1] if stats.sessions else None
        if last is not None and (last.end is None or now - last.end <= self.c.coalesce_s):
            last.end = None
        else:
            stats.sessions.append(_Session(now))
        self._prune(stats, now)

    def job_stopped(self, package: str, now: float) -> None:
        stats = self._stats.get(package)
        if stats is None or stats.running == 0:
            return
        stats.running -= 1
        if stats.running == 0 and stats.sessions:
            stats.sessions[-1].end = now

    def reset(self, package: str | None = None) -> None:
        """``cmd jobscheduler reset-execution-quota PKG`` (``clearAppStatsLocked``); ``None`` clears all."""
        if package is None:
            self._stats.clear()
            return
        stats = self._stats.get(package)
        if stats is not None:
            self._stats[package] = _Stats(running=stats.running,
                                          sessions=[_Session(stats.sessions[-1].start)] if stats.running else [])

    # -- queries ------------------------------------------------------------------------------
    def within_quota(self, package: str, index: int, now: float, *, charging: bool = False) -> bool:
        if index == NEVER_INDEX:
            return False
        if charging and index != RESTRICTED_INDEX:
            return True
        stats = self._stats.get(package)
        return stats is None or self._under_limits(stats, index, now)

    def next_in_quota(self, package: str, index: int, now: float) -> float | None:
        """The earliest moment the package is back within quota if nothing else runs."""
        stats = self._stats.get(package)
        if stats is None or index == NEVER_INDEX:
            return None
        window, rate = self.c.window_s[index], self.c.rate_window_s
        candidates = {t + span for t in stats.job_starts for span in (window, rate)}
        for s in stats.sessions:
            for t in (s.start, s.end if s.end is not None else now):
                candidates.update((t + window, t + MAX_PERIOD_S, t + rate))
        for t in sorted(c for c in candidates if c > now):
            if self._under_limits(stats, index, t + 0.001):
                return t + 0.001
        return None

    def execution_s(self, package: str, now: float, span_s: float) -> float:
        stats = self._stats.get(package)
        return 0.0 if stats is None else _overlap(stats.sessions, now - span_s, now)

    def _under_limits(self, stats: _Stats, index: int, now: float) -> bool:
        c = self.c
        window, rate = c.window_s[index], c.rate_window_s
        starts_in = sum(1 for t in stats.job_starts if t > now - window)
        sessions_in = sum(1 for s in stats.sessions if (s.end if s.end is not None else now) > now - window)
        rate_jobs = sum(1 for t in stats.job_starts if t > now - rate)
        rate_sessions = sum(1 for s in stats.sessions if s.start > now - rate)
        return (_overlap(stats.sessions, now - window, now) < c.allowed_s[index]
                and _overlap(stats.sessions, now - MAX_PERIOD_S, now) < c.max_execution_s
                and starts_in < c.max_job_count[index] and sessions_in < c.max_session_count[index]
                and rate_jobs < c.max_jobs_per_rate and rate_sessions < c.max_sessions_per_rate)

    @staticmethod
    def _prune(stats: _Stats, now: float) -> None:
        horizon = now - 7 * MAX_PERIOD_S - 1.0  # a RESTRICTED window may be set up to a week
        stats.job_starts = [t for t in stats.job_starts if t > horizon]
        stats.sessions = [s for s in stats.sessions if s.end is None or s.end > horizon]


def _overlap(sessions: list[_Session], lo: float, hi: float) -> float:
    total = 0.0
    for s in sessions:
        end = s.end if s.end is not None else hi
        total += max(0.0, min(end, hi) - max(s.start, lo))
    return total


def constants_lines(consts: QcConstants) -> list[str]:
    """QuotaController's constants dump (QcConstants key names, raw values, in dump order)."""
    return [f"{key}={value}" for key, value in consts.raw.items()]


# processConstantLocked reads these groups "as an atomic set" (DeviceConfig.getProperties of all of them) when
# any key of the group changes; every other key is read from the change itself.
_EXECUTION_GROUP = frozenset(k for k in DEFAULTS if k.startswith(("qc_allowed_time_per_period_", "qc_window_size_"))
                             or k in ("qc_in_quota_buffer_ms", "qc_max_execution_time_ms"))
_RATE_GROUP = frozenset(("qc_rate_limiting_window_ms", "qc_max_job_count_per_rate_limiting_window",
                         "qc_max_session_count_per_rate_limiting_window"))


def apply_properties(consts: QcConstants, changed: dict[str, str | None], namespace: dict[str, str]) -> bool:
    """``QcConstants.processConstantLocked`` for each changed key; True when a limit in force changed.

    ``namespace`` is the whole ``jobscheduler`` namespace now, for the groups read as a set. A value that does not
    parse as a Java long/int reads as the default, as ``Properties.getLong``/``getInt`` do."""
    before = consts.limits()
    for key, value in changed.items():
        if key in _EXECUTION_GROUP or key in _RATE_GROUP:
            group = _EXECUTION_GROUP if key in _EXECUTION_GROUP else _RATE_GROUP
            consts.raw.update({k: _java_long(k, namespace.get(k)) for k in group})
        elif key in DEFAULTS:
            consts.raw[key] = _java_long(key, value)
    consts.apply()
    return before != consts.limits()


def _java_long(key: str, text: str | None) -> int:
    """``getLong`` for the ``*_ms`` keys, ``getInt`` for the counts."""
    if text is None:
        return DEFAULTS[key]
    try:
        return parse_long(text) if key.endswith("_ms") else parse_int(text)
    except JavaException:
        return DEFAULTS[key]

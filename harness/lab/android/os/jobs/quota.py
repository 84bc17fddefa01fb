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

__all__ = ["QuotaTracker", "constants_lines"]

MIN, HOUR = 60.0, 3600.0
# Indexed by JobScheduler's bucket index: ACTIVE 0, WORKING_SET 1, FREQUENT 2, RARE 3, NEVER 4,
# RESTRICTED 5, EXEMPTED 6 (JobSchedulerService.standbyBucketToBucketIndex).
WINDOW_S = {0: 10 * MIN, 1: 2 * HOUR, 2: 8 * HOUR, 3: 24 * HOUR, 5: 24 * HOUR, 6: 10 * MIN}
MAX_JOB_COUNT = {0: 75, 1: 120, 2: 200, 3: 48, 5: 10, 6: 75}
MAX_SESSION_COUNT = {0: 75, 1: 10, 2: 8, 3: 3, 5: 1, 6: 75}
ALLOWED_TIME_S = 10 * MIN
MAX_EXECUTION_S = 4 * HOUR
RATE_WINDOW_S = 60.0
MAX_PER_RATE_WINDOW = 20
COALESCE_S = 5.0
NEVER_INDEX, RESTRICTED_INDEX = 4, 5


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

    # -- bookkeeping --------------------------------------------------------------------------
    def job_started(self, package: str, now: float) -> None:
        stats = self._stats.setdefault(package, _Stats())
        stats.job_starts.append(now)
        stats.running += 1
        last = stats.sessions[-1] if stats.sessions else None
        if last is not None and (last.end is None or now - last.end <= COALESCE_S):
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
        window = WINDOW_S[index]
        candidates = {t + span for t in stats.job_starts for span in (window, RATE_WINDOW_S)}
        for s in stats.sessions:
            for t in (s.start, s.end if s.end is not None else now):
                candidates.update((t + window, t + 24 * HOUR, t + RATE_WINDOW_S))
        for t in sorted(c for c in candidates if c > now):
            if self._under_limits(stats, index, t + 0.001):
                return t + 0.001
        return None

    def execution_s(self, package: str, now: float, span_s: float) -> float:
        stats = self._stats.get(package)
        return 0.0 if stats is None else _overlap(stats.sessions, now - span_s, now)

    def _under_limits(self, stats: _Stats, index: int, now: float) -> bool:
        window = WINDOW_S[index]
        starts_in = sum(1 for t in stats.job_starts if t > now - window)
        sessions_in = sum(1 for s in stats.sessions if (s.end if s.end is not None else now) > now - window)
        rate_jobs = sum(1 for t in stats.job_starts if t > now - RATE_WINDOW_S)
        rate_sessions = sum(1 for s in stats.sessions if s.start > now - RATE_WINDOW_S)
        return (_overlap(stats.sessions, now - window, now) < ALLOWED_TIME_S
                and _overlap(stats.sessions, now - 24 * HOUR, now) < MAX_EXECUTION_S
                and starts_in < MAX_JOB_COUNT[index] and sessions_in < MAX_SESSION_COUNT[index]
                and rate_jobs < MAX_PER_RATE_WINDOW and rate_sessions < MAX_PER_RATE_WINDOW)

    @staticmethod
    def _prune(stats: _Stats, now: float) -> None:
        horizon = now - 24 * HOUR - 1.0
        stats.job_starts = [t for t in stats.job_starts if t > horizon]
        stats.sessions = [s for s in stats.sessions if s.end is None or s.end > horizon]


def _overlap(sessions: list[_Session], lo: float, hi: float) -> float:
    total = 0.0
    for s in sessions:
        end = s.end if s.end is not None else hi
        total += max(0.0, min(end, hi) - max(s.start, lo))
    return total


def constants_lines() -> list[str]:
    """QuotaController.dumpConstants (key names of QcConstants, values in ms as ``IndentingPrintWriter`` prints)."""
    names = {0: "active", 1: "working", 2: "frequent", 3: "rare", 5: "restricted", 6: "exempted"}
    order = (6, 0, 1, 2, 3, 5)
    lines = [f"qc_allowed_time_per_period_{names[i]}_ms={int(ALLOWED_TIME_S * 1000)}" for i in order]
    lines.append("qc_in_quota_buffer_ms=30000")
    lines += [f"qc_window_size_{names[i]}_ms={int(WINDOW_S[i] * 1000)}" for i in order]
    lines.append(f"qc_max_execution_time_ms={int(MAX_EXECUTION_S * 1000)}")
    lines += [f"qc_max_job_count_{names[i]}={MAX_JOB_COUNT[i]}" for i in order]
    lines += [f"qc_rate_limiting_window_ms={int(RATE_WINDOW_S * 1000)}",
              f"qc_max_job_count_per_rate_limiting_window={MAX_PER_RATE_WINDOW}"]
    lines += [f"qc_max_session_count_{names[i]}={MAX_SESSION_COUNT[i]}" for i in order]
    lines += [f"qc_max_session_count_per_rate_limiting_window={MAX_PER_RATE_WINDOW}",
              f"qc_timing_session_coalescing_duration_ms={int(COALESCE_S * 1000)}"]
    return lines

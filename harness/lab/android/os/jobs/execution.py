"""JobServiceContexts: the slots jobs run in, their execution timeout and their ``dumpsys`` lines.

A context runs one job from ``onStartJob`` until ``jobFinished``, a stop, or the timeout. The timeout
is the regular-job runtime guarantee of 14/15 (JobSchedulerService ``RUNTIME_MIN_GUARANTEE_MS``,
10 min): JobServiceContext then logs ``Client timed out while executing (no jobFinished received).
Sending onStop: <toShortString>`` at INFO and sends ``onStopJob`` (JobServiceContext.handleOpTimeoutLocked;
a Pixel 8a on 15 logs the same text, shared/reference captures §21 shows the older wording).
Concurrency is capped at JobConcurrencyManager's 16 contexts.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.lab.android.os.base import format_duration
from harness.lab.android.os.jobs.jobstatus import JobKey, JobStatus
from harness.lab.clock import Timer

__all__ = ["MAX_CONCURRENCY", "RUNTIME_S", "ContextPool", "ServiceContext"]

MAX_CONCURRENCY = 16
RUNTIME_S = 10 * 60.0
TIMEOUT_LOG = "Client timed out while executing (no jobFinished received). Sending onStop: "


@dataclass(slots=True)
class ServiceContext:
    id: int
    job: JobStatus | None = None
    started_s: float = 0.0
    timer: Timer | None = None
    stopped_s: float = 0.0
    stopped_reason: str | None = None

    @property
    def timeout_at_s(self) -> float:
        return self.started_s + RUNTIME_S

    def dump_line(self, now: float) -> str:
        """JobServiceContext.dumpLocked's first line (and, for a running job, the two after it)."""
        if self.job is None:
            if self.stopped_reason is None:
                return "inactive"
            return (f"inactive since {format_duration(self.stopped_s - now)}, "
                    f"stopped because: {self.stopped_reason}")
        remaining = format_duration(self.timeout_at_s - now)
        return (f"{self.job.short_string}\n"
                f"  Running for: {format_duration(now - self.started_s)}, timeout at: {remaining}\n"
                f"  Remaining execution limits: [{remaining}, {remaining}]")


class ContextPool:
    """JobConcurrencyManager's contexts, all created when third-party apps may start
    (``onThirdPartyAppsCanStart``): running ones in ``active()`` order, the rest idle."""

    def __init__(self) -> None:
        self._contexts = [ServiceContext(i) for i in range(MAX_CONCURRENCY)]
        self._running: list[ServiceContext] = []

    def acquire(self) -> ServiceContext | None:
        idle = [c for c in self._contexts if c.job is None]
        if not idle:
            return None
        ctx = min(idle, key=lambda c: c.id)
        self._running.append(ctx)
        return ctx

    def release(self, ctx: ServiceContext, now: float, reason: str) -> None:
        if ctx.timer is not None:
            ctx.timer.cancel()
        ctx.job, ctx.timer, ctx.stopped_s, ctx.stopped_reason = None, None, now, reason
        if ctx in self._running:
            self._running.remove(ctx)

    def active(self) -> list[ServiceContext]:
        return list(self._running)

    def idle(self) -> list[ServiceContext]:
        return sorted((c for c in self._contexts if c.job is None), key=lambda c: c.id)

    def find(self, key: JobKey) -> ServiceContext | None:
        return next((c for c in self._running if c.job is not None and c.job.key == key), None)

    def clear(self) -> None:
        for ctx in self._running:
            if ctx.timer is not None:
                ctx.timer.cancel()
        self._contexts = [ServiceContext(i) for i in range(MAX_CONCURRENCY)]
        self._running.clear()

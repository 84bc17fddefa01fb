"""Expectations on a device's timeline, and the "why did it not fire" explanation.

``Expect(stream, …).task_fired("sync-orders", within_s=30 * 60)`` waits on device time; when the
task does not fire, ``ExpectationFailed`` says what most likely stopped it — a kill and its killer,
a force-stop, Doze, a constraint the job waits on, a restricted bucket, background restriction, or
that nothing was ever scheduled — with the evidence lines and the timeline since the mark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.logs.events import Event
from harness.logs.stream import EventStream, Mark
from harness.plan._windows import ack_window

__all__ = ["Expect", "ExpectationFailed", "Snapshot", "explain"]

_STOPPERS = ("force_stop", "kill", "freeze")


class ExpectationFailed(AssertionError):
    def __init__(self, device: str, summary: str, reason: str, evidence: Sequence[str], timeline: Sequence[str],
                 killer: str | None = None) -> None:
        self.device, self.summary, self.reason, self.killer = device, summary, reason, killer
        self.evidence, self.timeline = list(evidence), list(timeline)
        parts = [f"[{device}] {summary}", f"most likely: {reason}"]
        if evidence:
            parts += ["evidence:", *(f"  {line}" for line in evidence)]
        if timeline:
            parts += ["timeline since the mark:", *(f"  {line}" for line in timeline[-40:])]
        super().__init__("\n".join(parts))


@dataclass(frozen=True)
class Snapshot:
    """What the device says now, read after a failed wait (the driver fills it in)."""

    job_found: bool | None = None  # a job exists for the task
    unsatisfied: tuple[str, ...] = ()  # its unsatisfied constraints
    deep_state: str | None = None
    light_state: str | None = None
    bucket: str | None = None
    background_restricted: bool | None = None
    process_running: bool | None = None
    stopped_state: bool | None = None
    notes: tuple[str, ...] = field(default=())


def _clock(event: Event) -> str:
    if event.time is None:
        return event.time_text or "?"
    return time.strftime("%H:%M:%S", time.gmtime(event.time))


def describe(event: Event) -> str:
    who = f" by {event.killer}" if event.killer else ""
    what = {"force_stop": "force-stopped", "kill": "killed", "freeze": "frozen"}.get(event.kind, event.kind)
    tail = f" ({event.reason})" if event.reason else ""
    subject = event.task or event.package or ""
    return f"{_clock(event)} {what}{who} {subject}{tail}".replace("  ", " ").strip()


def _still_in_effect(prior: Sequence[Event], package: str) -> Event | None:
    """A kill, force-stop or freeze from before the mark that nothing undid (no new process since)."""
    last: Event | None = None
    for event in prior:
        if event.package != package:
            continue
        if event.kind in _STOPPERS:
            last = event
        elif event.kind == "process_start":
            last = None
    return last


def explain(events: Sequence[Event], package: str, snap: Snapshot | None,
            prior: Sequence[Event] = ()) -> tuple[str, list[Event], str | None]:
    """The most likely reason the package's background work did not run: (reason, evidence, killer).

    ``prior`` are the test's events from before the mark: a freeze that happened earlier and still
    holds explains a window in which nothing new was logged."""
    mine = [e for e in events if e.package in (None, package)]
    stoppers = [e for e in mine if e.kind in _STOPPERS and e.package == package]
    carried = _still_in_effect(prior, package)
    if not stoppers and carried is not None:
        stoppers = [carried]
    if stoppers:
        first = next((e for e in stoppers if e.kind == "force_stop"), stoppers[0])
        if first.kind == "force_stop" and "app switcher" in (first.reason or ""):
            return (f"{describe(first)}: a user force-quit; iOS launches the app in the background for nothing "
                    "(no BGTask, fetch or silent push) until the user opens it again", stoppers[:5], first.killer)
        effect = {"force_stop": "its jobs and alarms were cancelled until the app is launched again",
                  "kill": "its process died and the work did not come back",
                  "freeze": "its process is frozen: alive but doing nothing"}[first.kind]
        return f"{describe(first)}: {effect}", stoppers[:5], first.killer
    if snap is not None:
        reason = _from_snapshot(snap)
        if reason:
            doze = [e for e in mine if e.kind == "doze"][-3:]
            return reason, doze, None
    doze = [e for e in mine if e.kind == "doze"]
    if doze and doze[-1].reason in ("IDLE", "OVERRIDE"):
        return f"Doze {doze[-1].reason} since {_clock(doze[-1])}: jobs wait for a maintenance window", doze[-3:], None
    return "no kill, Doze or constraint explains it; the task was never started (never scheduled?)", [], None


def _from_snapshot(snap: Snapshot) -> str | None:
    if snap.stopped_state:
        return "the app is in the stopped state (force-stopped): nothing runs until it is launched"
    if snap.job_found is False:
        return "never scheduled: no job for the task in dumpsys jobscheduler"
    if snap.background_restricted:
        return "background restricted (RUN_ANY_IN_BACKGROUND ignore): jobs and alarms do not run in background"
    if snap.deep_state == "IDLE" or snap.light_state == "IDLE":
        return f"Doze: deep {snap.deep_state}, light {snap.light_state}; jobs wait for a maintenance window"
    if snap.bucket in ("rare", "restricted", "never"):
        return f"standby bucket {snap.bucket.upper()}: jobs are throttled to a small daily quota"
    if snap.unsatisfied:
        return "the job is waiting on " + " ".join(snap.unsatisfied)
    return None


class Expect:
    """Expectations for one app on one device, from a mark onwards."""

    def __init__(self, stream: EventStream, package: str,
                 snapshot: Callable[[str | None], Snapshot] | None = None, mark: Mark | None = None) -> None:
        self.stream = stream
        self.package = package
        self.snapshot = snapshot
        self.mark = mark or stream.mark()
        self.start = self.mark

    def reset(self) -> Mark:
        self.mark = self.stream.mark()
        return self.mark

    @property
    def ack_s(self) -> float:
        """Device seconds to wait for an action's own log line on this phone (``harness.plan.ack_window``): a
        minute at 1x, and enough for the harness's round trips on a fast lab clock."""
        return ack_window(self.stream.clock_rate)

    def settle(self, seconds: float) -> Mark:
        """Let ``seconds`` of the phone's time pass with the app left as it is (an OEM's own background timers act
        here: a quick cell keeps them), then mark. Waits on the phone's clock, not on a sleep."""
        start = self.stream.mark().device_time
        if seconds > 0 and start is not None:
            self.stream.wait_quiet_until(start + seconds)
        return self.reset()

    def _mine(self, event: Event) -> bool:
        return event.package in (None, self.package)

    def task_fired(self, task: str, within_s: float, trigger: str | tuple[str, ...] | None = None) -> Event:
        """The task's next start since the mark; with ``trigger``, only a start the probe says came from it
        (``fetch``, ``bgtask``, ``workmanager``, ``push``, ``test``, …)."""
        triggers = (trigger,) if isinstance(trigger, str) else trigger
        found = self.stream.wait_for(lambda e: e.kind == "task_start" and e.task == task and self._mine(e)
                                     and (triggers is None or e.reason in triggers), self.mark, within_s)
        if found is None:
            via = f" (trigger {'/'.join(triggers)})" if triggers else ""
            self._fail(f"task {task!r} did not fire{via} within {_span(within_s)} of device time", task)
        assert found is not None
        return found

    def woke(self, reason: str | None = None, within_s: float = 60.0) -> Event:
        """The app's next wake since the mark (the probe's ``wake`` line: push, fetch, boot, geofence, …)."""
        found = self.stream.wait_for(lambda e: e.kind == "wake" and self._mine(e)
                                     and (reason is None or e.reason == reason), self.mark, within_s)
        if found is None:
            self._fail(f"no{f' {reason}' if reason else ''} wake within {_span(within_s)} of device time", None)
        assert found is not None
        return found

    def wakes(self, reason: str | None = None) -> list[Event]:
        """Every wake of the app since the mark, without waiting."""
        return [e for e in self.stream.since(self.mark) if e.kind == "wake" and self._mine(e)
                and (reason is None or e.reason == reason)]

    def task_not_fired(self, task: str, during_s: float) -> None:
        found = self.stream.wait_for(lambda e: e.kind == "task_start" and e.task == task and self._mine(e),
                                     self.mark, during_s)
        if found is not None:
            raise ExpectationFailed(self.stream.device, f"task {task!r} fired at {_clock(found)}, "
                                    f"within {_span(during_s)} when it should not have", "it ran",
                                    [found.raw], self._timeline())

    def logged(self, needle: str, within_s: float = 60.0) -> str:
        """The first log line since the mark that contains ``needle`` (a system's own message that no event
        stands for, e.g. a refused geofence registration)."""
        found = self.stream.wait_for_line(needle, self.mark, within_s)
        if found is None:
            raise ExpectationFailed(self.stream.device, f"no log line with {needle!r} within {_span(within_s)} "
                                    "of device time", "the phone did not log it", [], self._timeline())
        return found

    def job_ran(self, job_id: int | None = None, within_s: float = 900.0) -> Event:
        found = self.stream.wait_for(
            lambda e: e.kind == "job_start" and self._mine(e) and (job_id is None or e.job_id == job_id),
            self.mark, within_s)
        if found is None:
            self._fail(f"no job{'' if job_id is None else f' {job_id}'} started within {_span(within_s)}", None)
        assert found is not None
        return found

    def dozed(self, state: str = "IDLE", within_s: float = 600.0) -> Event:
        """The phone's log says deep Doze entered ``state``: once seen, every line logged before it is in the
        stream, so a ``reset()`` after this marks "from the Doze state on" without a race with the log."""
        found = self.stream.wait_for(
            lambda e: e.kind == "doze" and e.reason == state and (e.extra or {}).get("mode", "deep") == "deep",
            self.mark, within_s)
        if found is None:
            raise ExpectationFailed(self.stream.device, f"deep Doze did not log {state} within {_span(within_s)}",
                                    "no such Doze transition in the log", [], self._timeline())
        return found

    def killed(self, by: str | None = None, within_s: float = 3600.0) -> Event:
        found = self.stream.wait_for(
            lambda e: e.kind in _STOPPERS and e.package == self.package and (by is None or e.killer == by),
            self.mark, within_s)
        if found is None:
            raise ExpectationFailed(self.stream.device, f"{self.package} was not killed{f' by {by}' if by else ''} "
                                    f"within {_span(within_s)}", "it survived", [], self._timeline())
        return found

    def still_running(self) -> None:
        stops = [e for e in self.stream.since(self.mark) if e.kind in (*_STOPPERS, "process_died")
                 and e.package == self.package]
        if stops:
            raise ExpectationFailed(self.stream.device, f"{self.package} did not keep running", describe(stops[0]),
                                    [e.raw for e in stops[:5]], self._timeline(), stops[0].killer)

    def _timeline(self) -> list[str]:
        return [describe(e) if e.kind in _STOPPERS else f"{_clock(e)} {e.kind} {e.task or e.package or ''} "
                f"{e.reason or ''}".rstrip() for e in self.stream.since(self.mark) if self._mine(e)]

    def _fail(self, summary: str, task: str | None) -> None:
        snap = self.snapshot(task) if self.snapshot is not None else None
        since = self.stream.since(self.mark)
        prior = self.stream.since(self.start)[: max(0, self.mark.index - self.start.index)]
        reason, evidence, killer = explain(since, self.package, snap, prior)
        lines = [f"L{e.line}: {e.raw}" if e.line else e.raw for e in evidence]
        raise ExpectationFailed(self.stream.device, summary, reason, lines, self._timeline(), killer)


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"

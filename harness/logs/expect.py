"""Expectations on a device's timeline, and the "why did it not fire" explanation.

``Expect(stream, …).task_fired("sync-orders", within_s=30 * 60)`` waits on device time. A task name the app
does not have fails at once, with "did you mean" (``Expect.tasks``, the driver's ``[app]`` tasks). When the
task does not fire, the wait looks a little past the window, then ``ExpectationFailed`` says why — a kill and
its killer, a force-stop, Doze, a constraint the job waits on, a restricted bucket, background restriction,
that it ran after the window closed, or "inconclusive" with the facts — each checked against the timeline
(harness/logs/_diagnose.py), with the evidence lines and the timeline since the mark.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from harness.logs._diagnose import STOPPERS, Snapshot, Watch, describe, diagnose, span
from harness.logs._diagnose import clock as _clock
from harness.logs.events import Event
from harness.logs.stream import EventStream, Mark
from harness.plan._windows import ack_window

__all__ = ["Expect", "ExpectationFailed", "Snapshot", "UnknownTask", "Watch", "explain"]

_STOPPERS = STOPPERS
# After a window closes empty, the wait goes on this share of the window (at least the ack window, at most
# _GRACE_MAX_S) so a run just after the close is reported as such, not as "never started".
_GRACE_SHARE = 0.05
_GRACE_MAX_S = 300.0


class TaskInfo(Protocol):
    """What the diagnosis reads of an ``[app]`` task (harness.config.TaskConfig has it)."""

    @property
    def kind(self) -> str: ...
    @property
    def interval_min(self) -> float: ...


class ExpectationFailed(AssertionError):
    def __init__(self, device: str, summary: str, reason: str, evidence: Sequence[str], timeline: Sequence[str],
                 killer: str | None = None) -> None:
        self.device, self.summary, self.reason, self.killer = device, summary, reason, killer
        self.evidence, self.timeline = list(evidence), list(timeline)
        self.window: tuple[float, float] | None = None  # device times of the mark and the deadline, when known
        label = "why" if reason.startswith(("inconclusive", "unknown")) else "most likely"
        parts = [f"[{device}] {summary}", f"{label}: {reason}"]
        if evidence:
            parts += ["evidence:", *(f"  {line}" for line in evidence)]
        if timeline:
            parts += ["timeline since the mark:", *(f"  {line}" for line in timeline[-40:])]
        super().__init__("\n".join(parts))


class UnknownTask(ExpectationFailed):
    """The scenario names a task the app does not have: a typo, or a task missing from ``[app]``."""


def explain(events: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event] = (),
            watch: Watch | None = None) -> tuple[str, list[Event], str | None]:
    """Why the package's background work did not run: (reason, evidence, killer), checked against the events.

    ``prior`` are the test's events from before the mark: a freeze that happened earlier and still holds
    explains a window in which nothing new was logged. ``watch`` is what the wait watched (task, kind, window)."""
    return diagnose(events, package, snap, prior, watch)


class Expect:
    """Expectations for one app on one device, from a mark onwards."""

    def __init__(self, stream: EventStream, package: str,
                 snapshot: Callable[[str | None], Snapshot] | None = None, mark: Mark | None = None) -> None:
        self.stream = stream
        self.package = package
        self.snapshot = snapshot
        self.mark = mark or stream.mark()
        self.start = self.mark
        # The app's tasks by name (the driver's [app] tasks; the ``timeline`` fixture sets them): a name not in it
        # fails at once, and a task's kind and interval shape the diagnosis. None: names are not checked.
        self.tasks: Mapping[str, TaskInfo] | None = None

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
        self._known(task)
        triggers = (trigger,) if isinstance(trigger, str) else trigger

        def match(e: Event) -> bool:
            return (e.kind == "task_start" and e.task == task and self._mine(e)
                    and (triggers is None or e.reason in triggers))

        mark = self.mark
        found = self.stream.wait_for(match, mark, within_s) or self._seen_late(match, mark, within_s)
        if found is None:
            # A little past the window: a run just after the close is said as such, not as "never started".
            self.stream.wait_for(match, mark, within_s + self._grace(within_s))
            via = f" (trigger {'/'.join(triggers)})" if triggers else ""
            self._fail(f"task {task!r} did not fire{via} within {span(within_s)} of device time", task,
                       self._watch(task, mark, within_s, triggers))
        assert found is not None
        return found

    def _seen_late(self, match: Callable[[Event], bool], mark: Mark, within_s: float) -> Event | None:
        """A start timed inside the window whose line reached the stream only after the wait gave up (a lagging
        capture, or a later-timed line that arrived first): the device says it ran in time, so it did."""
        if mark.device_time is None:
            return None
        closes = mark.device_time + within_s
        return next((e for e in self.stream.since(mark) if match(e) and e.time is not None and e.time <= closes), None)

    def _grace(self, within_s: float) -> float:
        return min(max(_GRACE_SHARE * within_s, self.ack_s), max(_GRACE_MAX_S, self.ack_s))

    def _known(self, task: str) -> None:
        """A task the app does not have can never fire: say so now, not after the window."""
        if self.tasks is None or task in self.tasks:
            return
        known = sorted(self.tasks)
        close = difflib.get_close_matches(task, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UnknownTask(self.stream.device, f"no task named {task!r} in [app]",
                          f"unknown task: {hint}the app's tasks are {', '.join(known) or 'none'} (devices.toml "
                          "[[app.task]] name; scenarios ask for roles: app.role(\"periodic\"))", [], [])

    def _watch(self, task: str, mark: Mark, within_s: float, triggers: tuple[str, ...] | None) -> Watch:
        info = self.tasks.get(task) if self.tasks is not None else None
        return Watch(task=task, kind=info.kind if info is not None else None,
                     interval_s=info.interval_min * 60 if info is not None else None,
                     opened=mark.device_time, within_s=within_s, trigger=triggers)

    def woke(self, reason: str | None = None, within_s: float = 60.0) -> Event:
        """The app's next wake since the mark (the probe's ``wake`` line: push, fetch, boot, geofence, …)."""
        found = self.stream.wait_for(lambda e: e.kind == "wake" and self._mine(e)
                                     and (reason is None or e.reason == reason), self.mark, within_s)
        if found is None:
            self._fail(f"no{f' {reason}' if reason else ''} wake within {span(within_s)} of device time", None)
        assert found is not None
        return found

    def wakes(self, reason: str | None = None) -> list[Event]:
        """Every wake of the app since the mark, without waiting."""
        return [e for e in self.stream.since(self.mark) if e.kind == "wake" and self._mine(e)
                and (reason is None or e.reason == reason)]

    def task_not_fired(self, task: str, during_s: float) -> None:
        self._known(task)  # a misspelt name would pass for ever
        mark = self.mark
        found = self.stream.wait_for(lambda e: e.kind == "task_start" and e.task == task and self._mine(e),
                                     mark, during_s)
        if found is not None:
            failure = ExpectationFailed(self.stream.device, f"task {task!r} fired at {_clock(found)}, "
                                        f"within {span(during_s)} when it should not have", "it ran",
                                        [f"L{found.line}: {found.raw}" if found.line else found.raw], self._timeline())
            if mark.device_time is not None:
                failure.window = (mark.device_time, mark.device_time + during_s)
            raise failure

    def logged(self, needle: str, within_s: float = 60.0) -> str:
        """The first log line since the mark that contains ``needle`` (a system's own message that no event
        stands for, e.g. a refused geofence registration)."""
        found = self.stream.wait_for_line(needle, self.mark, within_s)
        if found is None:
            raise ExpectationFailed(self.stream.device, f"no log line with {needle!r} within {span(within_s)} "
                                    "of device time", "the phone did not log it", [], self._timeline())
        return found

    def job_ran(self, job_id: int | None = None, within_s: float = 900.0) -> Event:
        found = self.stream.wait_for(
            lambda e: e.kind == "job_start" and self._mine(e) and (job_id is None or e.job_id == job_id),
            self.mark, within_s)
        if found is None:
            self._fail(f"no job{'' if job_id is None else f' {job_id}'} started within {span(within_s)}", None)
        assert found is not None
        return found

    def dozed(self, state: str = "IDLE", within_s: float = 600.0) -> Event:
        """The phone's log says deep Doze entered ``state``: once seen, every line logged before it is in the
        stream, so a ``reset()`` after this marks "from the Doze state on" without a race with the log."""
        found = self.stream.wait_for(
            lambda e: e.kind == "doze" and e.reason == state and (e.extra or {}).get("mode", "deep") == "deep",
            self.mark, within_s)
        if found is None:
            raise ExpectationFailed(self.stream.device, f"deep Doze did not log {state} within {span(within_s)}",
                                    "no such Doze transition in the log", [], self._timeline())
        return found

    def killed(self, by: str | None = None, within_s: float = 3600.0) -> Event:
        found = self.stream.wait_for(
            lambda e: e.kind in _STOPPERS and e.package == self.package and (by is None or e.killer == by),
            self.mark, within_s)
        if found is None:
            raise ExpectationFailed(self.stream.device, f"{self.package} was not killed{f' by {by}' if by else ''} "
                                    f"within {span(within_s)}", "it survived", [], self._timeline())
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

    def _fail(self, summary: str, task: str | None, watch: Watch | None = None) -> None:
        snap = self.snapshot(task) if self.snapshot is not None else None
        since = self.stream.since(self.mark)
        prior = self.stream.since(self.start)[: max(0, self.mark.index - self.start.index)]
        reason, evidence, killer = explain(since, self.package, snap, prior, watch or Watch(task=task))
        lines = [f"L{e.line}: {e.raw}" if e.line else e.raw for e in evidence]
        failure = ExpectationFailed(self.stream.device, summary, reason, lines, self._timeline(), killer)
        w = watch or Watch()
        if w.opened is not None and w.closes is not None:
            failure.window = (w.opened, w.closes)
        raise failure

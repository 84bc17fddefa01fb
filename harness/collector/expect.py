"""Expectations on the wakes a device reported: ``WakeExpect(...).woke(reason="push", within_s=60)``.

Windows are device time, as in ``harness.logs.expect``: the wait on the host lasts ``within_s / clock_rate``
(plus ``grace_s`` for the report's trip through adb), and when the phone's clock is known
(``device_now``) the record's own device time must fall inside the window too.

Given the device's log stream (``stream=``, the ``timeline`` fixture's), a wait also watches the phone: a phone
its capture lost ends the wait with DeviceLost (harness.logs.stream) instead of a "no wake" a ``not_woke`` would
read as a pass. The record store has a condition of its own, so the loss is looked at every ``_LOOK_S``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.collector._records import WakeRecord
from harness.collector._server import Collector
from harness.errors import DeviceLost
from harness.logs.stream import EventStream, TimeStepper

__all__ = ["WakeExpect", "WakeExpectationFailed"]

_LOOK_S = 0.5  # how often a wait looks at the phone's presence: well inside the 5 s a loss must take to surface
_HINT = ("no wake report reached the collector: did the app wake (see the timeline)? is `adb reverse` in place "
         "(Android) or [collector] ios_url reachable (iOS)? did the app get the collector config?")


class WakeExpectationFailed(AssertionError):
    def __init__(self, device: str, summary: str, reason: str, seen: list[WakeRecord]) -> None:
        self.device, self.summary, self.reason, self.seen = device, summary, reason, seen
        lines = [f"[{device}] {summary}", f"most likely: {reason}"]
        if seen:
            lines += ["wakes reported since the mark:",
                      *(f"  device ms {r.time_ms}: {r.reason} {r.task or '-'}" for r in seen[-20:])]
        super().__init__("\n".join(lines))


class WakeExpect:
    """Wakes of one device, from a mark on."""

    def __init__(self, collector: Collector, device: str, *, clock_rate: float = 1.0,
                 device_now: Callable[[], float | None] | None = None, grace_s: float = 5.0,
                 stream: EventStream | None = None, stepper: TimeStepper | None = None,
                 path: Callable[[], str | None] | None = None) -> None:
        self.collector, self.device, self.clock_rate = collector, device, clock_rate
        # Why the phone's reports cannot reach the collector now (None: they can), asked when a window closed with
        # nothing in it: an Android phone's `adb reverse` dies with the adb connection that made it.
        self.path = path
        self.device_now, self.grace_s, self.stream = device_now, grace_s, stream
        # A virtual lab phone's clock (harness/virtual_time.py): a wait steps it, and its windows are device time only.
        self.stepper = stepper
        self.mark = 0
        self.mark_time: float | None = None
        self.reset()

    def reset(self) -> None:
        """Mark now: later expectations look only at wakes reported after this point."""
        self.mark = self.collector.store.mark()
        if self.stepper is not None:
            self.mark_time = self.stepper.now()
        else:
            self.mark_time = self.device_now() if self.device_now is not None else None

    def _matches(self, reason: str | None, task: str | None) -> Callable[[WakeRecord], bool]:
        return lambda r: (r.device == self.device and (reason is None or r.reason == reason)
                          and (task is None or r.task == task))

    def _wait(self, match: Callable[[WakeRecord], bool], within_s: float, what: str) -> WakeRecord | None:
        """The first matching record since the mark within ``within_s`` of device time (``within_s / clock_rate``
        of wall time, plus ``grace_s``); DeviceLost when the phone's capture lost it meanwhile (before or during
        the wait: a hole in the window is no evidence of nothing)."""
        if self.stepper is not None:
            return self._stepping(match, within_s, what)
        wait_s = within_s / self.clock_rate + self.grace_s
        if self.stream is None:
            return self.collector.store.wait_for(match, self.mark, wait_s)
        deadline = time.monotonic() + wait_s
        while True:
            left = deadline - time.monotonic()
            found = self.collector.store.wait_for(match, self.mark, max(0.0, min(_LOOK_S, left)))
            if found is not None:
                return found  # it reached the collector: it happened, whatever became of the phone since
            self.stream.check_present(f"while waiting for {what}")
            if left <= _LOOK_S:
                return None

    def _stepping(self, match: Callable[[WakeRecord], bool], within_s: float, what: str) -> WakeRecord | None:
        """A virtual lab phone: step its clock to its next logged event until the record is in or the window ends
        (the lab finishes a step's wake reports before it answers, so a report is in once its step is over)."""
        assert self.stepper is not None
        limit = (self.mark_time if self.mark_time is not None else self.stepper.now()) + within_s
        reached = False
        self.stepper.sync()  # the reports the phone sent so far are in before the first look
        while True:
            found = self.collector.store.wait_for(match, self.mark, 0.0)
            if found is not None:
                return found
            if self.stream is not None:
                self.stream.check_present(f"while waiting for {what}")
            if reached:
                return None
            reached = self.stepper.step(limit).now >= limit

    def _path_intact(self, during: str) -> None:
        """A window with no report means nothing only if reports could arrive: a lost path is DeviceLost (the
        cell is an error), never a product FAIL, nor a not_woke PASS."""
        problem = self.path() if self.path is not None else None
        if problem is not None:
            raise DeviceLost(self.device, problem, during, "the cell's wakes could not be seen; run it again")

    def since(self) -> list[WakeRecord]:
        return self.collector.store.since(self.mark, self.device)

    def woke(self, reason: str | None = None, within_s: float = 60.0, task: str | None = None) -> WakeRecord:
        """The first wake (of ``reason``/``task``) reported within ``within_s`` device seconds of the mark."""
        what = f"wake{f' (reason {reason})' if reason else ''}{f' for {task}' if task else ''}"
        found = self._wait(self._matches(reason, task), within_s, f"woke {what!r}")
        if found is None:
            self._path_intact(f"while waiting for woke {what!r}")
            raise WakeExpectationFailed(self.device, f"no {what} within {within_s:g} s of device time", _HINT,
                                        self.since())
        if self.mark_time is not None and found.time - self.mark_time > within_s:
            late = found.time - self.mark_time
            raise WakeExpectationFailed(self.device, f"{what} came {late:.0f} s after the mark, over {within_s:g} s",
                                        "the phone delayed it (Doze, a budget, a frozen process)", self.since())
        return found

    def not_woke(self, reason: str | None = None, during_s: float = 60.0) -> None:
        """No wake (of ``reason``) is reported for ``during_s`` device seconds."""
        found = self._wait(self._matches(reason, None), during_s, f"not_woke {reason or 'any'!r}")
        if found is None:
            self._path_intact(f"while checking not_woke {reason or 'any'!r}")
        if found is not None:
            raise WakeExpectationFailed(self.device, f"woke ({found.reason}) when it should not have",
                                        "the platform did not drop it", self.since())

    def count(self, reason: str | None = None) -> int:
        match = self._matches(reason, None)
        return sum(1 for r in self.since() if match(r))

"""Virtual clocks: device time for the lab's OS models.

The OS models never sleep. They schedule timed events on a clock and the clock runs them in
device-time order. Two clocks share one interface:

- ``RealtimeClock`` runs on an asyncio loop, ``rate`` times faster than the wall clock; it serves
  the wire (a harness talking to a virtual phone sees device time move at ``rate``× real time).
- ``ManualClock`` jumps from event to event as fast as the CPU allows; model tests and benches use
  it to run a day of device time in well under a second.
- ``VirtualClock`` is a ManualClock on the lab's loop: it stands still while the harness acts (events due
  now still run at once) and moves only when the harness's waiting primitive asks it to, through the lab's
  time control (``harness/lab/timectl.py``), one event time at a time. Outcomes then depend on the seed and
  the harness's actions, not on the machine's load.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Clock", "ManualClock", "RealtimeClock", "Timer", "VirtualClock", "sleep_device"]

log = logging.getLogger(__name__)

_RUNAWAY = 100_000  # events at one device time that are surely a model re-scheduling itself at that instant
# 2026-11-28 08:00:00 UTC: a fixed epoch makes lab runs reproducible by default.
DEFAULT_EPOCH_S = 1795852800.0


@dataclass(order=True, slots=True)
class Timer:
    when: float
    seq: int
    fn: Callable[[], None] | None = field(compare=False)

    def cancel(self) -> None:
        self.fn = None

    @property
    def cancelled(self) -> bool:
        return self.fn is None


class Clock:
    """Device time plus a scheduler of timed events. Subclasses say how time moves."""

    def __init__(self, rate: float = 1.0, epoch_s: float = DEFAULT_EPOCH_S) -> None:
        if rate <= 0:
            raise ValueError(f"clock rate must be positive, got {rate}")
        self.rate = rate
        self._epoch_s = epoch_s
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._boot_s = epoch_s

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        """Device wall-clock time, seconds since 1970."""
        raise NotImplementedError

    def uptime(self) -> float:
        """Device seconds since the last boot (Android's elapsedRealtime)."""
        return self.now() - self._boot_s

    def mark_boot(self) -> None:
        self._boot_s = self.now()

    def wall_seconds(self, device_seconds: float) -> float:
        """How long ``device_seconds`` of device time take on the wall clock."""
        return device_seconds / self.rate

    # -- scheduling ---------------------------------------------------------------------------
    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        timer = Timer(when, next(self._seq), fn)
        heapq.heappush(self._heap, timer)
        self._rearm()
        return timer

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> Timer:
        return self.call_at(self.now() + max(0.0, delay_s), fn)

    def next_due(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def _pop_due(self, until: float) -> Timer | None:
        due = self.next_due()
        if due is None or due > until:
            return None
        return heapq.heappop(self._heap)

    @staticmethod
    def _run(timer: Timer) -> None:
        fn = timer.fn
        if fn is None:
            return
        timer.fn = None
        try:
            fn()
        except Exception:  # an OS-model bug must not stop the clock for every other device
            log.exception("timed event failed")

    def _rearm(self) -> None:
        """Hook for clocks that must wake up for the earliest event."""


class ManualClock(Clock):
    """A clock that only moves when told to; events run at exactly their scheduled time."""

    def __init__(self, rate: float = 1.0, epoch_s: float = DEFAULT_EPOCH_S) -> None:
        super().__init__(rate, epoch_s)
        self._now = epoch_s

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> int:
        """Move ``seconds`` ahead, running every event due on the way. Returns how many ran."""
        return self.run_until(self._now + seconds)

    def run_until(self, when: float) -> int:
        ran = 0
        while (timer := self._pop_due(when)) is not None:
            self._now = max(self._now, timer.when)
            self._run(timer)
            ran += 1
        self._now = max(self._now, when)
        return ran


class VirtualClock(ManualClock):
    """Device time that stands still until a wait moves it (``step``); runs on the lab's asyncio loop."""

    def __init__(self, rate: float = 1.0, epoch_s: float = DEFAULT_EPOCH_S) -> None:
        super().__init__(rate, epoch_s)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._soon: asyncio.Handle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._rearm()

    def stop(self) -> None:
        if self._soon is not None:
            self._soon.cancel()
        self._soon = None
        self._loop = None

    def _rearm(self) -> None:
        """An event due now (``call_later(0, ...)``: a command's immediate effect) runs at once, as on any clock."""
        if self._loop is None or self._soon is not None:
            return
        due = self.next_due()
        if due is not None and due <= self._now:
            self._soon = self._loop.call_soon(self._run_due)

    def _run_due(self) -> bool:
        """Run every event due now; False when they never end (a model re-scheduling itself at this instant)."""
        self._soon = None
        for _ in range(_RUNAWAY):
            timer = self._pop_due(self._now)
            if timer is None:
                return True
            self._run(timer)
        # A model that schedules itself again at the same instant forever would hang the lab's loop (on a
        # real-time clock it only spins): say so, and leave the rest for the next step.
        log.error("over %d events at device time %.6f: a model re-schedules itself at the same instant", _RUNAWAY,
                  self._now)
        return False

    def step(self, until: float, moved: Callable[[], bool], max_groups: int = 10_000) -> float:
        """Run events in time order up to ``until``, one event time at a time, and stop after the first time at
        which ``moved()`` says something the waiter can see happened (a log line); else stop at ``until``.
        Returns the device time reached. ``max_groups`` bounds one call's work (the caller steps again)."""
        for _ in range(max_groups):
            due = self.next_due()
            if due is None or due > until:
                self._now = max(self._now, until)
                return self._now
            self._now = max(self._now, due)
            if not self._run_due() or moved():
                return self._now
        return self._now


class RealtimeClock(Clock):
    """Device time = epoch + rate × wall time elapsed since ``start``; events run on the asyncio loop."""

    def __init__(self, rate: float = 1.0, epoch_s: float = DEFAULT_EPOCH_S) -> None:
        super().__init__(rate, epoch_s)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wall0 = time.monotonic()
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        device_now = self.now()
        self._loop = loop
        self._wall0 = loop.time()
        self._epoch_s = device_now
        self._rearm()

    def _wall(self) -> float:
        return self._loop.time() if self._loop is not None else time.monotonic()

    def now(self) -> float:
        return self._epoch_s + (self._wall() - self._wall0) * self.rate

    def _rearm(self) -> None:
        if self._loop is None:
            return
        due = self.next_due()
        if due is None or due == self._armed_for:
            return
        if self._handle is not None:
            self._handle.cancel()
        wall_at = self._wall0 + (due - self._epoch_s) / self.rate
        self._armed_for = due
        self._handle = self._loop.call_at(wall_at, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._armed_for = None
        now = self.now()
        while (timer := self._pop_due(now)) is not None:
            self._run(timer)
        self._rearm()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._loop = None


async def sleep_device(clock: Clock, delay_s: float) -> None:
    """Wait ``delay_s`` of device time on a running asyncio loop (`sleep` on the device, an Appium command that
    lasts ``seconds``). On a virtual clock the command *is* the harness waiting: the phone's time moves by that
    much, its events running on the way."""
    if isinstance(clock, VirtualClock):
        clock.step(clock.now() + max(0.0, delay_s), lambda: False)
        return
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not fut.done():
            fut.set_result(None)

    timer = clock.call_later(delay_s, wake)
    try:
        await fut
    finally:
        timer.cancel()

"""Virtual clocks: device time for the lab's OS models.

The OS models never sleep. They schedule timed events on a clock and the clock runs them in
device-time order. Two clocks share one interface:

- ``RealtimeClock`` runs on an asyncio loop, ``rate`` times faster than the wall clock; it serves
  the wire (a harness talking to a virtual phone sees device time move at ``rate``× real time).
- ``ManualClock`` jumps from event to event as fast as the CPU allows; model tests and benches use
  it to run a day of device time in well under a second.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Clock", "ManualClock", "RealtimeClock", "Timer", "sleep_device"]

log = logging.getLogger(__name__)

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
    """Wait ``delay_s`` of device time on a running asyncio loop (used by `sleep` on the device)."""
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

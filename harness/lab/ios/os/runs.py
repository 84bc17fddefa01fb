"""The JS task runner and the background execution windows the system grants the app.

A run is one ``TaskManager.defineTask`` executor call: ``task_start`` on the probe, ``task_end`` after the
task's ``duration_s`` (result ``failed`` with the task's ``failure_rate``), or ``task_expired`` when the
system takes the time away first. A window is the time iOS gives a backgrounded app for one reason (a
BGTask launch, a fetch, a push, a region event, a debug run): it holds a RunningBoard assertion so the
app is not suspended, runs its tasks, and ends when they all finish (``on_complete``) or when its time
limit passes (``on_expire``). Everything here belongs to one process: when it dies, nothing more happens.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.config import TaskConfig
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.ios.os.probe import Probe
    from harness.lab.ios.os.processes import AppProcess, ProcessTable

__all__ = ["Run", "Runner", "Window"]


@dataclass
class Run:
    task: str
    run: int
    started_s: float
    alive: bool = True


@dataclass
class Window:
    reason: str  # the assertion: bgtask, processing, fetch, push, location, test
    identifier: str | None = None  # the BGTask identifier, for BGTask windows
    runs: list[Run] = field(default_factory=list)
    open: bool = True
    pending: int = 0
    timer: Timer | None = None


class Runner:
    """Runs tasks inside windows for one app. ``proc`` is the live process (None when not running)."""

    def __init__(self, processes: ProcessTable, probe: Probe, rng: random.Random) -> None:
        self.processes = processes
        self.probe = probe
        self.rng = rng
        self.proc: AppProcess | None = None
        self.windows: list[Window] = []
        self._timers: list[Timer] = []

    @property
    def clock_now(self) -> float:
        return self.processes.phone.clock.now()

    def later(self, delay_s: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` in this process after ``delay_s`` device seconds, unless the process dies first."""
        proc = self.proc

        def run() -> None:
            if self.proc is proc and proc is not None:
                fn()

        self._timers = [t for t in self._timers if not t.cancelled]
        self._timers.append(self.processes.phone.clock.call_later(delay_s, run))

    # -- runs -------------------------------------------------------------------------------------
    def run(self, task: TaskConfig, trigger: str, done: Callable[[str], None]) -> Run:
        current = Run(task.name, self.probe.next_run(task.name), self.clock_now)
        self.probe.emit("task_start", task=task.name, run=current.run, trigger=trigger)

        def finish() -> None:
            if not current.alive:
                return
            current.alive = False
            result = "failed" if self.rng.random() < task.failure_rate else "success"
            duration_ms = round((self.clock_now - current.started_s) * 1000)
            self.probe.emit("task_end", task=task.name, run=current.run, result=result, duration_ms=duration_ms)
            done(result)

        self.later(task.duration_s, finish)
        return current

    def expire(self, current: Run) -> None:
        if current.alive:
            current.alive = False
            self.probe.emit("task_expired", task=current.task, run=current.run)

    # -- windows ----------------------------------------------------------------------------------
    def open_window(self, window: Window, tasks: list[tuple[TaskConfig, str]], limit_s: float | None,
                    on_complete: Callable[[], None], on_expire: Callable[[], None],
                    before_each: Callable[[TaskConfig], None] | None = None) -> Window:
        """Hold ``window.reason`` and run ``tasks`` (task, trigger) in it."""
        proc = self.proc
        if proc is None:
            raise RuntimeError("a window needs a running process")
        self.processes.acquire(proc, window.reason)
        self.windows.append(window)
        window.pending = len(tasks)

        def one_done(_result: str) -> None:
            window.pending -= 1
            if window.pending <= 0 and window.open:
                self.close(window)
                on_complete()

        for task, trigger in tasks:
            if before_each is not None:
                before_each(task)
            window.runs.append(self.run(task, trigger, one_done))
        if not tasks:
            self.close(window)
            on_complete()
        elif limit_s is not None:
            window.timer = self.processes.phone.clock.call_later(limit_s, lambda: self.expire_window(window, on_expire))
        return window

    def expire_window(self, window: Window, on_expire: Callable[[], None]) -> None:
        if not window.open or self.proc is None:
            return
        on_expire()  # the app's expiration handler first; the JS hears of it after (if the app still lives)
        if window.open:
            for current in window.runs:
                self.expire(current)
            self.close(window)

    def close(self, window: Window) -> None:
        if not window.open:
            return
        window.open = False
        if window.timer is not None:
            window.timer.cancel()
        if window in self.windows:
            self.windows.remove(window)
        if self.proc is not None and self.processes.of(self.proc.bundle_id) is self.proc:
            self.processes.release(self.proc, window.reason)

    # -- process ----------------------------------------------------------------------------------
    def attach(self, proc: AppProcess) -> None:
        self.proc = proc

    def process_died(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for window in self.windows:
            window.open = False
            if window.timer is not None:
                window.timer.cancel()
        self._timers.clear()
        self.windows.clear()
        self.proc = None

"""App processes as RunningBoard manages them: launch, roles, suspension, assertions, termination.

An app process is ``foreground`` (the one app on screen), ``background`` (running off screen) or
``suspended`` (in memory, no CPU). A backgrounded app keeps running only while something holds an
assertion for it (a BGTask, a push or fetch window, background location); otherwise RunningBoard suspends
it shortly after it leaves the screen. Apple documents "a few seconds" without a number; the model uses
``SUSPEND_AFTER_S``. Pids grow as on a real phone (the kernel hands out increasing pids); the step is random
but seeded. ``phone.processes`` (os_trace_relay's PidList) is kept current.
Apps and daemons share the kernel's pid sequence (``VirtualIPhone.next_pid``); a killed daemon is launchd's
business (``VirtualIPhone.kill_daemon``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.lab.clock import Timer
from harness.lab.ios.os import texts
from harness.lab.ios.os.texts import Daemon

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["SUSPEND_AFTER_S", "AppProcess", "ProcessTable", "emit"]

SUSPEND_AFTER_S = 5.0
_FIRST_PID = 400


@dataclass
class AppProcess:
    bundle_id: str
    pid: int
    executable: str
    state: str  # foreground | background | suspended
    assertions: dict[str, int] = field(default_factory=dict)  # reason → holders
    suspend_timer: Timer | None = None
    stopped: bool = False  # started suspended for a debugger (DVT ``StartSuspendedKey``)


def emit(phone: VirtualIPhone, lines: list[tuple[Daemon, str]]) -> None:
    for daemon, message in lines:
        phone.log(daemon.name, message, pid=daemon.pid, image=daemon.image)


DeathListener = Callable[[AppProcess, int], None]


class ProcessTable:
    def __init__(self, phone: VirtualIPhone, rng: random.Random) -> None:
        self.phone = phone
        self.rng = rng
        self.apps: dict[str, AppProcess] = {}
        phone.last_pid = max(phone.last_pid, _FIRST_PID + rng.randrange(200))
        self.death_listeners: list[DeathListener] = []

    # -- queries ----------------------------------------------------------------------------------
    def of(self, bundle_id: str) -> AppProcess | None:
        return self.apps.get(bundle_id)

    def by_pid(self, pid: int) -> AppProcess | None:
        return next((p for p in self.apps.values() if p.pid == pid), None)

    def foreground(self) -> AppProcess | None:
        return next((p for p in self.apps.values() if p.state == "foreground"), None)

    # -- launch -----------------------------------------------------------------------------------
    def spawn(self, bundle_id: str, executable: str, *, foreground: bool, stopped: bool = False) -> AppProcess:
        """launchd starts the app: a new pid, RunningBoard's launch lines, the process table updated."""
        pid = self.phone.next_pid(1 + self.rng.randrange(40))
        if foreground:
            self._demote_foreground()
        proc = AppProcess(bundle_id, pid, executable,
                          "suspended" if stopped else ("foreground" if foreground else "background"), stopped=stopped)
        self.apps[bundle_id] = proc
        self.phone.processes[proc.pid] = executable
        emit(self.phone, texts.launch_lines(bundle_id, proc.pid, foreground and not stopped))
        if not foreground and not stopped:
            self._maybe_suspend(proc)
        return proc

    # -- roles ------------------------------------------------------------------------------------
    def bring_to_foreground(self, proc: AppProcess) -> None:
        if proc.state == "foreground":
            return
        self._demote_foreground()
        self._cancel_suspend(proc)
        lines = (texts.resume_lines(proc.bundle_id, proc.pid, "UserInteractiveFocal") if proc.state == "suspended"
                 else texts.role_lines(proc.bundle_id, proc.pid, "UserInteractiveFocal"))
        proc.state, proc.stopped = "foreground", False
        emit(self.phone, lines)

    def send_to_background(self, proc: AppProcess) -> None:
        if proc.state != "foreground":
            return
        proc.state = "background"
        emit(self.phone, texts.role_lines(proc.bundle_id, proc.pid, "Background"))
        self._maybe_suspend(proc)

    def _demote_foreground(self) -> None:
        current = self.foreground()
        if current is not None:
            self.send_to_background(current)

    # -- assertions -------------------------------------------------------------------------------
    def acquire(self, proc: AppProcess, reason: str) -> None:
        """Something keeps the app running (BGTask, push window, location): resume it if suspended."""
        proc.assertions[reason] = proc.assertions.get(reason, 0) + 1
        self._cancel_suspend(proc)
        if proc.state == "suspended":
            proc.state, proc.stopped = "background", False
            emit(self.phone, texts.resume_lines(proc.bundle_id, proc.pid, "Background"))

    def release(self, proc: AppProcess, reason: str) -> None:
        held = proc.assertions.get(reason, 0) - 1
        if held > 0:
            proc.assertions[reason] = held
        else:
            proc.assertions.pop(reason, None)
        self._maybe_suspend(proc)

    def _maybe_suspend(self, proc: AppProcess) -> None:
        if proc.state != "background" or proc.assertions or proc.suspend_timer is not None:
            return
        proc.suspend_timer = self.phone.clock.call_later(SUSPEND_AFTER_S, lambda: self._suspend(proc))

    def _suspend(self, proc: AppProcess) -> None:
        proc.suspend_timer = None
        if self.apps.get(proc.bundle_id) is not proc or proc.state != "background" or proc.assertions:
            return
        proc.state = "suspended"
        emit(self.phone, texts.suspend_lines(proc.bundle_id, proc.pid))

    @staticmethod
    def _cancel_suspend(proc: AppProcess) -> None:
        if proc.suspend_timer is not None:
            proc.suspend_timer.cancel()
            proc.suspend_timer = None

    # -- death ------------------------------------------------------------------------------------
    def kill(self, proc: AppProcess, signal: int = 9, reason: tuple[int, int] | None = None) -> None:
        """The process dies by ``signal`` (for ``reason``: OS namespace and code); launchd reports it and
        RunningBoard removes it."""
        self._remove(proc)
        emit(self.phone, texts.termination_lines(proc.bundle_id, proc.pid, signal,
                                                 reason or (texts.KILLED_BY_SIGNAL[0], signal)))
        for listener in list(self.death_listeners):
            listener(proc, signal)

    def power_off(self) -> None:
        """Every app process is gone at once (reboot); the phone logs nothing while it goes down."""
        for proc in list(self.apps.values()):
            self._remove(proc)
            for listener in list(self.death_listeners):
                listener(proc, 9)

    def _remove(self, proc: AppProcess) -> None:
        self._cancel_suspend(proc)
        self.apps.pop(proc.bundle_id, None)
        self.phone.processes.pop(proc.pid, None)

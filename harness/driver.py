"""The one shape both drivers have: what the fixtures, the plugin and the scenarios use without asking which
platform a phone is.

``Driver`` is the protocol ``AndroidDriver`` and ``IOSDriver`` implement: start a capture, expectations on it,
a snapshot for a failed wait, the failure artifacts, a health verdict, undoing the test's changes, and the
history of every device action as ``VerbRecord``s. ``DriverCore`` is the state and the checks both carry (the
lease guards, the restore journal, the app's tasks, the running capture's stream). Platform verbs (Doze on
Android, the hub port on iOS) are each driver's own and are not in the protocol.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harness.config import TaskConfig
from harness.journal import Journal
from harness.logs.expect import Expect, Snapshot
from harness.logs.stream import EventStream

__all__ = ["Capture", "Driver", "DriverCore", "VerbRecord"]


@dataclass(frozen=True, slots=True)
class VerbRecord:
    """One device action: when, on which phone, the verb, what was sent, its exit status (Android shell
    commands; None where the protocol has none, or the call failed before one came back) and how long it took."""

    wall_time: float  # when it started (time.time())
    device: str
    verb: str
    command: str
    exit_code: int | None
    duration_s: float


class Capture(Protocol):
    """A running log capture (``LogcatCapture``, ``SyslogCapture``)."""

    def stop(self) -> None: ...


class Driver(Protocol):
    name: str
    package: str | None  # the app under test: Android package, iOS bundle id
    clock_rate: float  # device seconds per wall second (1 for a real phone)
    tasks: dict[str, TaskConfig]
    history: list[VerbRecord]
    stream: EventStream | None
    guards: list[Callable[[str], None]]

    def guard(self, what: str) -> None: ...

    def close(self) -> None:
        """Release what the driver keeps open between verbs (an iPhone's lockdown session), at the test's end."""
        ...

    def installed(self) -> bool: ...

    def health(self, battery_floor: int) -> str | None:
        """Why the phone cannot take a test now (offline, not booted, battery below the floor), or None."""
        ...

    def device_time(self) -> float | None: ...

    def capture(self, path: Path | None = None) -> tuple[Capture, EventStream]: ...

    def expect(self, stream: EventStream) -> Expect: ...

    def snapshot(self, task: str | None = None) -> Snapshot: ...

    def failure_artifacts(self, folder: Path) -> list[Path]:
        """Write what the phone lets a tool read about the app's background work into ``folder`` (after a failed
        test); returns the files. A read that fails leaves its error in the file, never raises."""
        ...

    def restore(self) -> list[str]: ...


class DriverCore:
    """What every driver carries: its phone's name, the app, the lease guards, the restore journal, the history."""

    clock_rate: float = 1.0

    def __init__(self, name: str, package: str | None, journal: Journal | None) -> None:
        self.name = name
        self.package = package
        self.history: list[VerbRecord] = []
        # Without a config (a bare transport) there is no state directory: the journal lives in memory.
        self.journal = journal if journal is not None else Journal.in_memory(name)
        self.tasks: dict[str, TaskConfig] = {}  # the app's background tasks, from devices.toml [app]
        self.stream: EventStream | None = None  # the running capture's stream: whether the phone is still there
        self.guards: list[Callable[[str], None]] = []  # checks before each action (the lease's)

    def guard(self, what: str) -> None:
        """Before a device action: every check the fixture added (LeaseLost when the lease is gone)."""
        for check in self.guards:
            check(what)

    def close(self) -> None:
        """Nothing to release here: an adb verb's connection lasts the one call."""

    def record(self, verb: str, command: str, started: float, exit_code: int | None = None) -> None:
        """Add one action to the history; ``started`` is its ``time.monotonic()`` start."""
        elapsed = time.monotonic() - started
        self.history.append(VerbRecord(time.time() - elapsed, self.name, verb, command, exit_code, elapsed))

    @contextmanager
    def recording(self, verb: str, command: str) -> Iterator[None]:
        """Record the action in the body, whether it succeeds or not (as the Android shell verbs do)."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.record(verb, command, started)

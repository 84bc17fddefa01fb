"""What every Android verb shares: one shell round trip with a timeout, a record of it, and undo.

Each verb that changes device state (Doze, battery, bucket, app ops, whitelist) pushes its undo on
``restore_stack``; ``restore()`` runs them newest first when the scenario ends, even after a failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.android.transport import AdbTransport, ShellResult
from harness.config import TaskConfig
from harness.errors import CommandFailed, HarnessError

__all__ = ["DriverBase", "VerbRecord"]

log = logging.getLogger("harness.android")


@dataclass(frozen=True, slots=True)
class VerbRecord:
    wall_time: float
    device: str
    verb: str
    command: str
    exit_code: int | None
    duration_s: float


class DriverBase:
    def __init__(self, transport: AdbTransport, package: str | None = None) -> None:
        self.transport = transport
        self.name = transport.name
        self.package = package
        self.history: list[VerbRecord] = []
        self.restore_stack: list[tuple[str, Callable[[], object]]] = []
        self.tasks: dict[str, TaskConfig] = {}  # the app's background tasks, from devices.toml [app]

    def _run(self, verb: str, command: str, timeout_s: float | None = None) -> ShellResult:
        start = time.monotonic()
        code: int | None = None
        try:
            result = self.transport.run(command, timeout_s)
            code = result.exit_code
            return result
        finally:
            self.history.append(VerbRecord(time.time(), self.name, verb, command, code, time.monotonic() - start))

    def _check(self, verb: str, command: str, timeout_s: float | None = None, ok: tuple[int, ...] = (0,)) -> str:
        result = self._run(verb, command, timeout_s)
        if result.exit_code not in ok:
            raise CommandFailed(self.name, command, f"exit {result.exit_code}: {result.output.strip()[-300:]}",
                                exit_code=result.exit_code)
        return result.output

    def _pkg(self, package: str | None) -> str:
        pkg = package or self.package
        if pkg is None:
            raise HarnessError(f"[{self.name}] no package given and no [app] android_package in devices.toml")
        return pkg

    def on_teardown(self, label: str, undo: Callable[[], object]) -> None:
        if all(existing != label for existing, _ in self.restore_stack):
            self.restore_stack.append((label, undo))

    def restore(self) -> list[str]:
        """Undo every recorded state change, newest first; returns the problems (never raises)."""
        problems: list[str] = []
        while self.restore_stack:
            label, undo = self.restore_stack.pop()
            try:
                undo()
            except HarnessError as exc:
                problems.append(f"{label}: {exc}")
                log.warning("[%s] could not undo %s: %s", self.name, label, exc)
        return problems

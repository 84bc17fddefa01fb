"""What every Android verb shares: one shell round trip with a timeout, a record of it, and undo.

Each verb that changes device state (Doze, battery, bucket, app ops, whitelist, device_config) first
writes how to undo it to the device's restore journal (``remember``, harness.journal), then acts;
``restore()`` replays the journal newest first when the scenario ends, even after a failure, and the next
lease replays whatever a killed run left there.

Before every device action ``guard`` runs the checks the fixture added: the lease is still this test's
(``Lease.check``: LeaseLost, naming who took the phone). A lost phone needs no check of its own here: its
commands fail by themselves (not listed, offline), and its waits end with DeviceLost (harness.logs.stream).
"""

from __future__ import annotations

import logging
import time

from harness.android.transport import AdbTransport, ShellResult
from harness.driver import DriverCore, VerbRecord
from harness.errors import CommandFailed, HarnessError
from harness.journal import Journal, Undo
from harness.virtual_time import LabTime

__all__ = ["DriverBase", "VerbRecord"]

log = logging.getLogger("harness.android")


class DriverBase(DriverCore):
    def __init__(self, transport: AdbTransport, package: str | None = None, journal: Journal | None = None) -> None:
        super().__init__(transport.name, package, journal)
        self.transport = transport
        self.stepper: LabTime | None = None  # a virtual lab phone's clock; only waits move it

    def close(self) -> None:
        """Close the virtual clock's time-control connection (an adb verb's own connection lasts the one call)."""
        if self.stepper is not None:
            self.stepper.close()

    def _run(self, verb: str, command: str, timeout_s: float | None = None) -> ShellResult:
        self.guard(command)
        start = time.monotonic()
        code: int | None = None
        try:
            result = self.transport.run(command, timeout_s)
            code = result.exit_code
            return result
        finally:
            self.record(verb, command, start, code)

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

    def remember(self, key: str, undo: Undo) -> None:
        """Journal, on disk, how to undo a change of ``key`` before the verb makes it. The first change of
        a key wins: its undo goes back to the state before the test, not to an intermediate one."""
        self.journal.record(key, undo)

    def restore(self) -> list[str]:
        """Undo every journaled change, newest first; returns the problems (never raises). An undo that
        fails stays in the journal, to be tried again at the phone's next lease."""
        return self.journal.replay(self.undo).problems

    def undo(self, undo: Undo) -> None:
        """Carry out one journal entry on this phone (raises a HarnessError when it cannot)."""
        if undo.kind == "shell":
            command = undo.arg("command")
            if undo.check:
                self._check("undo", command)
            else:
                self._run("undo", command)
        elif undo.kind == "adb-reverse":
            self._remove_reverse(int(undo.arg("device_port")))
        else:
            raise CommandFailed(self.name, f"undo {undo.describe()}",
                                f"a {undo.kind} entry is not for an Android phone",
                                "the journal names another device's change; check <state_dir>/journal/")

    def _remove_reverse(self, device_port: int) -> None:
        from harness.collector import remove_adb_reverse  # noqa: PLC0415 - it imports harness.android (a cycle)

        try:
            remove_adb_reverse(self.transport, device_port)
        except CommandFailed as exc:
            if "not found" not in str(exc):  # already gone (the adb server or the phone restarted): put back
                raise

"""What every iPhone verb shares: the lockdown transport, the app's bundle id, process control, and launching.

The verb groups (``_location.LocationVerbs``, ``_power.PowerVerbs``) and ``IOSDriver`` build on it, as the Android
verb groups build on ``harness.android._base.DriverBase``; the lease guards, the restore journal and the history
are ``harness.driver.DriverCore``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.driver import DriverCore
from harness.errors import CommandFailed, HarnessError
from harness.ios.process import ProcessControl
from harness.ios.transport import IOSTransport
from harness.journal import Journal
from harness.virtual_time import LabTime

__all__ = ["IOSBase"]


class IOSBase(DriverCore):
    stepper: LabTime | None = None  # a virtual lab phone's clock, which only waits move (harness/virtual_time.py)

    def __init__(self, transport: IOSTransport, bundle_id: str | None, control: ProcessControl | None = None,
                 debuggable: bool = True, journal: Journal | None = None) -> None:
        super().__init__(transport.name, bundle_id, journal)  # package: the name Expect and reports use
        self.transport = transport
        self.bundle_id = bundle_id
        self.control = control
        self.debuggable = debuggable

    def close(self) -> None:
        """Close the lockdown session the transport keeps for every ``StartService`` (it would otherwise be left to
        the garbage collector with its socket open: a ResourceWarning per test), and a virtual clock's
        time-control connection."""
        self.transport.forget()
        if self.stepper is not None:
            self.stepper.close()

    def _bundle(self) -> str:
        if not self.bundle_id:
            raise HarnessError(f"{self.name}: [app] has no ios_bundle_id in devices.toml")
        return self.bundle_id

    def _control(self) -> ProcessControl:
        self.guard("process control")
        if self.control is None:
            raise CommandFailed(self.name, "process control", "no process_control set for this iPhone",
                                'set process_control = "dvt" | "tunnel" | "appium" in its devices.toml entry')
        return self.control

    def launch(self, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None) -> int:
        """Launch the app (killing a running instance first, as Xcode does); returns its pid."""
        with self.recording("launch", f"launch {' '.join(arguments)}".rstrip()):
            return self._control().launch(self._bundle(), arguments, environment, kill_existing=True)

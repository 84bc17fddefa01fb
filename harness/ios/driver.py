"""``IOSDriver``: the verbs a scenario needs on one iPhone, real or virtual alike.

Where iOS and Android share a verb (``launch``, ``kill``, ``process``, ``ring_buffer``, ``capture``,
``expect``, ``snapshot``, ``device_time``) it has the same name and meaning as on ``AndroidDriver``. What
iOS does not let a tool do (toggle Low Power Mode, force a BGTask run without a debugger) is not here; taking
the phone off power needs a switchable USB hub (``unplug``/``plug``, devices.toml ``usb_hub``);
``trigger_task`` uses the probe's debug launch argument, the way Expo's ``triggerTaskWorkerForTestingAsync``
needs a debug build.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymobiledevice3.exceptions import AfcFileNotFoundError, AppNotInstalledError
from pymobiledevice3.lockdown import LockdownClient
from pymobiledevice3.services.house_arrest import HouseArrestService
from pymobiledevice3.services.installation_proxy import InstallationProxyService
from pymobiledevice3.services.os_trace import OsTraceService

from harness.config import Config, DeviceConfig
from harness.contracts.probe import RUN_TASK_ARGUMENT
from harness.contracts.ring import parse_ring, ring_path
from harness.errors import CommandFailed, HarnessError, PackageNotFound
from harness.ios._location import LocationVerbs
from harness.ios._power import PowerVerbs
from harness.ios.process import ProcessControl, process_control_for
from harness.ios.syslog import SyslogCapture
from harness.ios.transport import IOSTransport
from harness.journal import Undo, journal_for
from harness.logs.expect import Expect, Snapshot
from harness.logs.stream import EventStream
from harness.virtual_time import lab_time

__all__ = ["IOSDriver", "IOSProcess"]


@dataclass(frozen=True, slots=True)
class IOSProcess:
    pid: int | None

    @property
    def running(self) -> bool:
        return bool(self.pid)


class IOSDriver(LocationVerbs, PowerVerbs):
    """The ``harness.driver.Driver`` shape over pymobiledevice3, plus the iOS verbs of its mixins."""

    _executable: str | None = None  # CFBundleExecutable: the app's name in the process list

    @classmethod
    def for_device(cls, cfg: Config, dev: DeviceConfig, timeout_s: float = 20.0,
                   appium: ProcessControl | None = None) -> IOSDriver:
        if not dev.udid:
            raise HarnessError(f"{cfg.path}: device {dev.name}: an iPhone needs its udid")
        transport = IOSTransport(dev.name, dev.udid, dev.usbmux, default_timeout_s=timeout_s)
        control = process_control_for(dev.process_control, transport, appium) if dev.process_control else None
        driver = cls(transport, cfg.app.ios_bundle_id, control, cfg.app.debuggable, journal_for(cfg, dev.name))
        driver.clock_rate = cfg.clock_rate(dev)
        driver.stepper = lab_time(cfg, dev)
        driver.usb_hub, driver.usb_hub_port = dev.usb_hub, dev.usb_hub_port
        driver.tasks = {task.name: task for task in cfg.app.tasks}
        return driver

    # -- identity ------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """lockdownd's global values (DeviceName, ProductType, ProductVersion, UniqueDeviceID, …)."""
        self.guard("lockdown GetValue")
        return dict(self.transport.value())

    @property
    def os_version(self) -> str:
        return str(self.transport.value("ProductVersion"))

    def device_time(self) -> float | None:
        """The phone's clock (seconds since 1970), or None when it cannot be read."""
        try:
            return float(self.transport.value("TimeIntervalSince1970", timeout_s=10))
        except (HarnessError, TypeError, ValueError):
            return None

    def battery(self) -> dict[str, Any]:
        """The ``com.apple.mobile.battery`` domain: BatteryCurrentCapacity, BatteryIsCharging, …"""
        self.guard("lockdown GetValue com.apple.mobile.battery")
        return dict(self.transport.value(domain="com.apple.mobile.battery") or {})

    # -- apps ----------------------------------------------------------------------------------
    def apps(self, application_type: str = "User") -> dict[str, dict[str, Any]]:
        async def lookup(lockdown: LockdownClient) -> dict[str, dict[str, Any]]:
            async with InstallationProxyService(lockdown=lockdown) as proxy:
                return dict(await proxy.get_apps(application_type=application_type))

        self.guard("installation_proxy Lookup")
        return self.transport.call(f"installation_proxy Lookup {application_type}", lookup)

    def installed(self) -> bool:
        return self._bundle() in self.apps()

    def processes(self) -> dict[int, str]:
        """pid → process name, from os_trace_relay's PidList (what ``pymobiledevice3 processes ps`` shows)."""

        async def pids(lockdown: LockdownClient) -> dict[int, str]:
            async with OsTraceService(lockdown) as service:
                payload = (await service.get_pid_list()).get("Payload", {})  # type: ignore[no-untyped-call]
            return {int(pid): str(info.get("ProcessName", "")) for pid, info in payload.items()}

        self.guard("os_trace_relay PidList")
        return self.transport.call("os_trace_relay PidList", pids)

    # -- process control -----------------------------------------------------------------------
    def kill(self) -> bool:
        """SIGKILL the app's process, as a crash or the system would: not a user force-quit."""
        pid = self.pid()
        if not pid:
            return False
        with self.recording("kill", f"kill {pid}"):
            self._control().kill(pid)
        return True

    def home(self) -> None:
        """Send the app to the background (it stays alive until iOS suspends it)."""
        with self.recording("home", "home"):
            self._control().home()

    def pid(self) -> int:
        """The app's pid, 0 when not running: from the process-control path, else from os_trace's PidList by
        the app's executable (XCUITest cannot name a background app's pid; the process list can)."""
        pid = self._control().pid_of(self._bundle()) if self.control is not None else 0
        return pid or self._pid_from_process_list()

    def _pid_from_process_list(self) -> int:
        if self._executable is None:
            info = self.apps().get(self._bundle(), {})
            self._executable = str(info.get("CFBundleExecutable") or "")
        if not self._executable:
            return 0
        return next((pid for pid, name in self.processes().items() if name == self._executable), 0)

    def process(self) -> IOSProcess:
        pid = self.pid()
        return IOSProcess(pid or None)

    def trigger_task(self, task: str) -> int:
        """Run ``task`` now: launch the debug build with the probe's run-task argument (docs/probe-line.md)."""
        if task not in self.tasks:
            raise CommandFailed(self.name, f"trigger {task}", f"no task named {task!r} in [app]",
                                f"configured: {', '.join(self.tasks) or 'none'}")
        if not self.debuggable:
            raise CommandFailed(self.name, f"trigger {task}", "the probe's run-task trigger is in debug builds only",
                                "install a debug build (and set debuggable = true in [app])")
        return self.launch([RUN_TASK_ARGUMENT, task])

    # -- the probe's ring buffer -------------------------------------------------------------------
    def ring_buffer(self) -> list[dict[str, object]]:
        """The probe's last events, pulled from the app's container through house_arrest."""
        bundle, path = self._bundle(), ring_path("ios")

        async def pull(lockdown: LockdownClient) -> bytes:
            try:
                async with await HouseArrestService.create(lockdown, bundle) as afc:
                    return bytes(await afc.get_file_contents(path))
            except AfcFileNotFoundError:
                return b""

        self.guard("house_arrest")
        try:
            data = self.transport.call(f"house_arrest {bundle} {path}", pull)
        except CommandFailed as exc:
            if isinstance(exc.__cause__, AppNotInstalledError):
                raise PackageNotFound(self.name, "house_arrest VendContainer", f"{bundle} is not installed",
                                      "install the app under test") from exc
            raise
        return parse_ring(data)

    # -- logs and expectations -----------------------------------------------------------------
    def capture(self, path: Path | None = None) -> tuple[SyslogCapture, EventStream]:
        """Start capturing the phone's log to ``path`` and into a stream that expectations wait on."""
        stream = EventStream(self.name, self.clock_rate, path, device_clock=self.device_time, platform="ios",
                             stepper=self.stepper)
        self.stream = stream  # reboot and unplug tell it the phone is away on purpose
        return SyslogCapture(self.transport, stream).start(), stream

    def expect(self, stream: EventStream) -> Expect:
        return Expect(stream, self._bundle(), self.snapshot)

    def snapshot(self, task: str | None = None) -> Snapshot:
        """What the phone lets a tool read now; iOS shows far less than dumpsys."""
        try:
            return Snapshot(process_running=self.pid() > 0)
        except HarnessError as exc:
            return Snapshot(notes=(f"could not read the device state: {exc}",))

    def restore(self) -> list[str]:
        """Undo what the journal holds, newest first: a phone left unplugged goes back on USB, a simulated
        location is cleared (the other verbs change no setting). Returns the problems; never raises."""
        return self.journal.replay(self.undo).problems

    def undo(self, undo: Undo) -> None:
        """Carry out one journal entry on this iPhone (raises a HarnessError when it cannot)."""
        if undo.kind == "hub-port":
            self._undo_hub_port(undo)
        elif undo.kind == "location":
            self._stop_simulation()
        else:
            raise CommandFailed(self.name, f"undo {undo.describe()}", f"a {undo.kind} entry is not for an iPhone",
                                "the journal names another device's change; check <state_dir>/journal/")

    def health(self, battery_floor: int) -> str | None:
        """Why the iPhone cannot take a test now (lockdown does not answer, battery below the floor), or None."""
        try:
            battery = self.battery()
        except HarnessError as exc:
            return str(exc)
        level = battery.get("BatteryCurrentCapacity")
        if isinstance(level, int) and level < battery_floor and not battery.get("BatteryIsCharging"):
            return f"battery at {level}% (floor {battery_floor}%): charge it"
        return None

    def failure_artifacts(self, folder: Path) -> list[Path]:
        """What the phone lets a tool read (process list, battery, the probe's ring buffer), one JSON file each."""
        reads: dict[str, Callable[[], object]] = {"processes": self.processes, "battery": self.battery,
                                                   "probe-ring-buffer": self.ring_buffer}
        written = []
        for name, read in reads.items():
            try:
                text = json.dumps(read(), indent=1, default=str)
            except HarnessError as exc:
                text = f"could not read: {exc}"
            path = folder / f"{name}.json"
            path.write_text(text + "\n")
            written.append(path)
        return written


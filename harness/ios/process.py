"""Launching and killing apps on an iPhone, by the path ``devices.toml`` names for it.

There is no one way that works on every iPhone (``reference/ios.md`` §3.5), so each device entry says
``process_control = "dvt" | "tunnel" | "appium"``:

- ``dvt``: DVT instruments ``processcontrol`` over lockdown; iOS ≤ 16 with the developer disk image
  mounted (pymobiledevice3 ``DvtProvider`` → ``ProcessControl``).
- ``tunnel``: the same DTX service over RemoteXPC, through a running ``pymobiledevice3 remote tunneld``
  (iOS 17+; the personalized developer image must be mounted).
- ``appium``: XCUITest's ``mobile: launchApp`` / ``mobile: terminateApp`` through the Appium server of the
  device (``harness.ui``).

The driver calls the chosen path the same way whatever phone is behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pymobiledevice3.lockdown_service_provider import LockdownServiceProvider
from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl as DvtProcessControl

from harness.errors import CommandFailed, DeviceUnreachable
from harness.ios.transport import IOSTransport

__all__ = ["PROCESS_CONTROLS", "DvtControl", "ProcessControl", "TunnelControl", "process_control_for"]

SIGKILL = 9
TUNNELD_FIX = "start `sudo pymobiledevice3 remote tunneld` on this host and mount the developer image"


class ProcessControl(Protocol):
    """What the driver needs to start and stop the app under test."""

    def launch(self, bundle_id: str, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = True) -> int: ...

    def kill(self, pid: int) -> None: ...

    def pid_of(self, bundle_id: str) -> int: ...

    def home(self) -> None:
        """Send the foreground app to the background."""
        ...


SETTINGS_APP = "com.apple.Preferences"


class _DtxControl:
    """The DVT ``processcontrol`` channel; subclasses say how to reach the instruments server."""

    label = "dvt"

    def __init__(self, transport: IOSTransport) -> None:
        self.transport = transport

    async def provider_source(self, lockdown: LockdownServiceProvider) -> LockdownServiceProvider:
        return lockdown

    async def _with_control(self, lockdown: LockdownServiceProvider, op: str, *args: Any) -> Any:
        source = await self.provider_source(lockdown)
        async with DvtProvider(source) as dvt, DvtProcessControl(dvt) as control:
            return await getattr(control, op)(*args)

    def _call(self, what: str, op: str, *args: Any) -> Any:
        async def action(lockdown: LockdownServiceProvider) -> Any:
            return await self._with_control(lockdown, op, *args)

        return self.transport.call(f"{self.label} {what}", action)

    def launch(self, bundle_id: str, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = True) -> int:
        async def action(lockdown: LockdownServiceProvider) -> int:
            source = await self.provider_source(lockdown)
            async with DvtProvider(source) as dvt, DvtProcessControl(dvt) as control:
                return int(await control.launch(bundle_id, arguments=list(arguments), kill_existing=kill_existing,
                                                environment=dict(environment or {})))

        try:
            return self.transport.call(f"{self.label} launch {bundle_id} {' '.join(arguments)}".rstrip(), action)
        except CommandFailed as exc:
            if "AssertionError" in exc.problem:  # ProcessControl.launch asserts a non-zero pid
                raise CommandFailed(self.transport.name, f"launch {bundle_id}", "the phone returned no pid",
                                    "is the app installed and the phone unlocked?") from exc
            raise

    def kill(self, pid: int) -> None:
        self._call(f"kill {pid}", "kill", pid)

    def pid_of(self, bundle_id: str) -> int:
        return int(self._call(f"pid of {bundle_id}", "process_identifier_for_bundle_identifier", bundle_id) or 0)

    def home(self) -> None:
        """DTX has no Home button: bring Settings to the foreground, which backgrounds the app as Home would."""
        self.launch(SETTINGS_APP, kill_existing=False)


class DvtControl(_DtxControl):
    label = "dvt"


class TunnelControl(_DtxControl):
    label = "tunnel"

    async def provider_source(self, lockdown: LockdownServiceProvider) -> LockdownServiceProvider:
        from pymobiledevice3.tunneld.api import get_tunneld_device_by_udid

        try:
            rsd = await get_tunneld_device_by_udid(self.transport.udid)
        except Exception as exc:
            raise DeviceUnreachable(self.transport.name, "tunneld", f"no tunneld answers: {exc}", TUNNELD_FIX) from exc
        if rsd is None:
            raise DeviceUnreachable(self.transport.name, "tunneld", "tunneld has no tunnel to this phone", TUNNELD_FIX)
        return rsd


PROCESS_CONTROLS = ("dvt", "tunnel", "appium")


class _NoAppiumSession:
    """``process_control = "appium"`` with no UI session handed over: every verb says how to get one."""

    def __init__(self, device: str) -> None:
        self.device = device

    def _refuse(self, what: str) -> CommandFailed:
        return CommandFailed(self.device, what, 'process_control = "appium" needs an Appium session',
                             "use the `ui` fixture (the `ios` fixture does), or pass "
                             "appium=AppiumProcessControl(UiDriver(cfg, dev)) to IOSDriver.for_device")

    def launch(self, bundle_id: str, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = True) -> int:
        raise self._refuse(f"launch {bundle_id}")

    def kill(self, pid: int) -> None:
        raise self._refuse(f"kill {pid}")

    def pid_of(self, bundle_id: str) -> int:
        raise self._refuse(f"pid of {bundle_id}")

    def home(self) -> None:
        raise self._refuse("home")


def process_control_for(kind: str | None, transport: IOSTransport, appium: ProcessControl | None = None,
                        ) -> ProcessControl:
    """The process-control path ``devices.toml`` chose for this phone."""
    if kind == "dvt":
        return DvtControl(transport)
    if kind == "tunnel":
        return TunnelControl(transport)
    if kind == "appium":
        return appium if appium is not None else _NoAppiumSession(transport.name)
    raise CommandFailed(transport.name, "process control", f"process_control = {kind!r} is not one of "
                        f"{', '.join(PROCESS_CONTROLS)}", "set it in the device's devices.toml entry")

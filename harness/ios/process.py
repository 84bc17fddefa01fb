"""Launching and killing apps on an iPhone, by the path ``devices.toml`` names for it.

There is no one way that works on every iPhone (``reference/ios.md`` §3.5), so each device entry says
``process_control = "dvt" | "tunnel" | "appium"``:

- ``dvt``: DVT instruments ``processcontrol`` over lockdown; iOS ≤ 16 with the developer disk image
  mounted (pymobiledevice3 ``DvtProvider`` → ``ProcessControl``).
- ``tunnel``: the same DTX service (``com.apple.instruments.dtservicehub``) over the phone's iOS 17+ tunnel,
  found through a running ``pymobiledevice3 remote tunneld`` (the personalized developer image must be
  mounted); a missing tunneld, tunnel or image is one ``DeviceUnreachable``/``CommandFailed`` line with the fix.
- ``appium``: XCUITest's ``mobile: launchApp`` / ``mobile: terminateApp`` through the Appium server of the
  device (``harness.ui``).

The driver calls the chosen path the same way whatever phone is behind it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from pymobiledevice3.exceptions import PyMobileDevice3Exception, TunneldConnectionError
from pymobiledevice3.lockdown_service_provider import LockdownServiceProvider
from pymobiledevice3.remote.remote_service_discovery import RemoteServiceDiscoveryService
from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl as DvtProcessControl
from pymobiledevice3.tunneld.api import TUNNELD_DEFAULT_ADDRESS, get_tunneld_device_by_udid

from harness.errors import CommandFailed, DeviceUnreachable
from harness.ios.transport import IOSTransport

__all__ = ["PROCESS_CONTROLS", "DvtControl", "ProcessControl", "TunnelControl", "process_control_for"]

SIGKILL = 9
TUNNELD_FIX = ("start `sudo pymobiledevice3 remote tunneld` on this host (it needs root for its TUN device), "
               "or set process_control = \"appium\"")
NO_TUNNEL_FIX = ("tunneld makes tunnels to iPhones on iOS 17.4+ over USB (CoreDeviceProxy) or paired over Wi-Fi; "
                 "check the cable and the Trust dialog, and tunneld's log")
STALE_TUNNEL_FIX = "restart tunneld (it rebuilds the tunnel); if it persists, replug the phone"
MOUNT_FIX = "mount the personalized developer image: `pymobiledevice3 mounter auto-mount`"


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

    async def provider_source(self, lockdown: LockdownServiceProvider, command: str = "") -> LockdownServiceProvider:
        """What ``DvtProvider`` opens the instruments server through; errors name ``command``."""
        return lockdown

    @contextlib.asynccontextmanager
    async def provider(self, lockdown: LockdownServiceProvider, command: str,
                       ) -> AsyncIterator[LockdownServiceProvider]:
        """``provider_source`` for one action, closed after it when it is a connection of its own (an RSD)."""
        source = await self.provider_source(lockdown, command)
        try:
            yield source
        finally:
            if isinstance(source, RemoteServiceDiscoveryService):
                with contextlib.suppress(Exception):
                    await source.close()

    def _call(self, what: str, op: str, *args: Any, **kwargs: Any) -> Any:
        command = f"{self.label} {what}"

        async def action(lockdown: LockdownServiceProvider) -> Any:
            async with (self.provider(lockdown, command) as source, DvtProvider(source) as dvt,
                        DvtProcessControl(dvt) as control):
                return await getattr(control, op)(*args, **kwargs)

        return self.transport.call(command, action)

    def launch(self, bundle_id: str, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = True) -> int:
        what = f"launch {bundle_id} {' '.join(arguments)}".rstrip()
        try:
            return int(self._call(what, "launch", bundle_id, arguments=list(arguments), kill_existing=kill_existing,
                                  environment=dict(environment or {})))
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
    """DTX over the phone's iOS 17+ tunnel, found through a running tunneld (``pmd3:tunneld/api.py``).

    tunneld owns the tunnel (a kernel TUN, hence ``sudo``); this process dials the phone's tunnel address
    through it. Each action opens the RSD it needs and closes it after, so no connection outlives a verb."""

    label = "tunnel"

    def __init__(self, transport: IOSTransport, tunneld: tuple[str, int] = TUNNELD_DEFAULT_ADDRESS) -> None:
        super().__init__(transport)
        self.tunneld = tunneld

    async def provider_source(self, lockdown: LockdownServiceProvider, command: str = "tunnel",
                              ) -> LockdownServiceProvider:
        where = f"{self.tunneld[0]}:{self.tunneld[1]}"
        try:
            rsd = await get_tunneld_device_by_udid(self.transport.udid, self.tunneld)
        except TunneldConnectionError as exc:
            raise DeviceUnreachable(self.transport.name, command, f"no tunneld answers on {where}",
                                    TUNNELD_FIX) from exc
        except (OSError, TimeoutError, PyMobileDevice3Exception) as exc:  # tunneld listed it; RSD did not answer
            problem = f"the tunnel from tunneld on {where} does not answer: {_one_line(exc)}"
            raise DeviceUnreachable(self.transport.name, command, problem, STALE_TUNNEL_FIX) from exc
        if rsd is None:
            raise DeviceUnreachable(self.transport.name, command, f"tunneld on {where} has no tunnel to this phone",
                                    NO_TUNNEL_FIX)
        if DvtProvider.RSD_SERVICE_NAME not in (rsd.peer_info or {}).get("Services", {}):
            with contextlib.suppress(Exception):
                await rsd.close()
            raise CommandFailed(self.transport.name, command,
                                f"the phone's RSD lists no {DvtProvider.RSD_SERVICE_NAME}", MOUNT_FIX)
        return rsd


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


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

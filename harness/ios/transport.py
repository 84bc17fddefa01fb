"""The lockdown transport the iOS driver stands on: pymobiledevice3 through usbmuxd, with timeouts.

One lockdown session per phone is kept open and reused for every ``StartService``; when the phone
drops it (reboot, cable) the next call opens a new one. pymobiledevice3's exceptions are translated
here into the harness's own, naming the device, the request and the fix.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymobiledevice3 import exceptions as pmd3
from pymobiledevice3.lockdown import LockdownClient, create_using_usbmux

from harness.errors import CommandFailed, DeviceError, DeviceTimeout, DeviceUnreachable
from harness.ios._bridge import bridge

__all__ = ["IOSTransport"]

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 20.0
_GONE = (pmd3.NoDeviceConnectedError, pmd3.DeviceNotFoundError, pmd3.ConnectionFailedError,
         pmd3.ConnectionTerminatedError, pmd3.NotConnectedError, ConnectionError, OSError, asyncio.IncompleteReadError)


class IOSTransport:
    def __init__(self, name: str, udid: str, usbmux_address: str | None = None,
                 default_timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.name = name
        self.udid = udid
        self.usbmux_address = usbmux_address  # "host:port" of usbmuxd over TCP; None = the local socket
        self.default_timeout_s = default_timeout_s
        self._lockdown: LockdownClient | None = None
        self._opening: asyncio.Lock | None = None  # created on the driver loop

    @property
    def where(self) -> str:
        return f"usbmuxd {self.usbmux_address}" if self.usbmux_address else "the local usbmuxd"

    # -- the one entry point ----------------------------------------------------------------------
    def call(self, what: str, action: Callable[[LockdownClient], Awaitable[T]], timeout_s: float | None = None) -> T:
        """Run ``action(lockdown)`` on the driver loop; errors become harness errors naming ``what``."""
        timeout = timeout_s if timeout_s is not None else self.default_timeout_s
        try:
            return bridge.run(self._with_lockdown(action), timeout)
        except TimeoutError as exc:
            self.forget()
            raise DeviceTimeout(self.name, what, f"no answer within {timeout:g} s",
                                "the phone may be rebooting, locked or stalled; check `harness devices`") from exc
        except DeviceError:
            raise
        except Exception as exc:
            raise self.translate(what, exc) from exc

    async def _with_lockdown(self, action: Callable[[LockdownClient], Awaitable[T]]) -> T:
        lockdown = await self.lockdown()
        try:
            return await action(lockdown)
        except _GONE:
            self.forget()
            raise

    async def lockdown(self) -> LockdownClient:
        """The phone's lockdown client (opened on first use, after a drop, or after ``forget``)."""
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._lockdown is None:
                # bounded here too, not only by ``call``: the syslog capture opens its session through this,
                # and a stopped usbmuxd accepts the connection and then says nothing
                self._lockdown = await asyncio.wait_for(
                    create_using_usbmux(serial=self.udid, usbmux_address=self.usbmux_address, autopair=True),
                    self.default_timeout_s)
            return self._lockdown

    def forget(self) -> None:
        """Drop the cached session; the next call opens a new one."""
        lockdown, self._lockdown = self._lockdown, None
        if lockdown is not None:
            bridge.submit(_close_quietly(lockdown))

    # -- convenience ------------------------------------------------------------------------------
    def value(self, key: str | None = None, domain: str | None = None, timeout_s: float | None = None) -> Any:
        """lockdownd ``GetValue`` (all values when ``key`` is None)."""

        async def get(lockdown: LockdownClient) -> Any:
            return await lockdown.get_value(domain=domain, key=key)

        return self.call(f"GetValue {domain or ''}/{key or '*'}", get, timeout_s)

    def translate(self, what: str, exc: BaseException) -> DeviceError:
        if isinstance(exc, (pmd3.NoDeviceConnectedError, pmd3.DeviceNotFoundError)):
            return DeviceUnreachable(self.name, what, f"{self.udid} is not listed by {self.where}",
                                     "check the cable and the Trust dialog, then `harness devices`")
        if isinstance(exc, pmd3.ConnectionFailedToUsbmuxdError):
            return DeviceUnreachable(self.name, what, f"{self.where} does not answer: {exc}",
                                     "start usbmuxd (or `harness lab up`) and check USBMUXD_SOCKET_ADDRESS")
        if isinstance(exc, _GONE):
            return DeviceUnreachable(self.name, what, f"the connection through {self.where} dropped: {exc!r}",
                                     "the phone may be rebooting or unplugged; check `harness devices`")
        if isinstance(exc, (pmd3.NotPairedError, pmd3.PairingError, pmd3.NotTrustedError)):
            return CommandFailed(self.name, what, f"not paired: {exc!r}",
                                 "unlock the phone and tap Trust, or run `pymobiledevice3 lockdown pair`")
        if isinstance(exc, pmd3.InvalidServiceError):
            return CommandFailed(self.name, what, f"the phone does not offer this service: {exc!r}",
                                 "developer services need a mounted developer image (iOS ≤ 16) or a tunnel (iOS 17+)")
        return CommandFailed(self.name, what, f"{type(exc).__name__}: {exc}")


async def _close_quietly(lockdown: LockdownClient) -> None:
    with contextlib.suppress(Exception):
        await lockdown.close()

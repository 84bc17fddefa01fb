"""Reboot an iPhone: ``com.apple.mobile.diagnostics_relay``'s ``Restart`` (what ``pymobiledevice3 diagnostics
restart`` and ``idevicediagnostics restart`` send), then wait until the phone is back.

pymobiledevice3's ``DiagnosticsService.restart`` sends ``{"Request": "Restart"}`` and checks the reply's
``Status`` is ``Success``; the phone goes down once the service connection closes
(``pmd3:services/diagnostics.py:DiagnosticsService.restart``; libimobiledevice's ``WaitForDisconnect`` flag
asks for the same explicitly). The wait follows the phone on usbmuxd's ``Listen`` stream, opened before
the request so no event is missed: its ``Detached``, then its ``Attached`` again, then lockdownd answering a
``GetValue``. After a reboot the phone is locked and has not been unlocked since boot: data-protected apps
do not run until the user unlocks it (``UiDriver.unlock``).

A running ``SyslogCapture`` follows the reboot on its own (it reconnects while the phone is away); what the
phone logged before the capture reconnected is not seen, as on a real phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from pymobiledevice3.lockdown import LockdownClient
from pymobiledevice3.services.diagnostics import DiagnosticsService
from pymobiledevice3.usbmux import MuxConnection, create_mux

from harness.errors import DeviceError, DeviceTimeout, DeviceUnreachable, HarnessError
from harness.ios._bridge import bridge
from harness.ios.transport import IOSTransport

__all__ = ["PowerVerbs"]

_LISTED_WITHIN_S = 2.0  # usbmuxd lists the attached phones at once after Listen's Result
_POLL_S = 0.2  # between lockdown attempts while the booted phone's lockdownd is not answering yet


class PowerVerbs:
    transport: IOSTransport
    name: str
    history: list[str]

    def reboot(self, timeout_s: float = 180.0) -> None:
        """Restart the phone and return once usbmuxd lists it again and lockdownd answers. The phone comes back
        locked, before its first unlock."""
        transport = self.transport
        deadline = time.monotonic() + timeout_s
        try:
            mux = bridge.run(_listen(transport.usbmux_address, transport.udid), transport.default_timeout_s)
        except TimeoutError as exc:
            raise DeviceTimeout(self.name, "usbmuxd Listen", f"no answer from {transport.where}") from exc
        except Exception as exc:
            raise transport.translate("usbmuxd Listen", exc) from exc
        try:
            if not _listed(mux, transport.udid):
                raise DeviceUnreachable(self.name, "reboot", f"{transport.udid} is not listed by {transport.where}",
                                        "check the cable and the Trust dialog, then `harness devices`")
            transport.call("diagnostics_relay Restart", _restart)
            transport.forget()  # the session dies with the phone
            self.history.append("reboot")
            self._follow(mux, "leave usbmuxd's list", present=False, deadline=deadline)
            self._follow(mux, "come back on usbmuxd", present=True, deadline=deadline)
        finally:
            bridge.submit(mux.close())  # type: ignore[no-untyped-call]
        self._wait_for_lockdown(deadline)

    def _follow(self, mux: MuxConnection, what: str, *, present: bool, deadline: float) -> None:
        try:
            bridge.run(_until(mux, self.transport.udid, present), max(0.1, deadline - time.monotonic()))
        except TimeoutError as exc:
            raise DeviceTimeout(self.name, "reboot", f"the phone did not {what} in time",
                                "check the phone's screen (a restart can stall on an update or a passcode prompt)") \
                from exc
        except Exception as exc:
            raise self.transport.translate(f"reboot: usbmuxd Listen ({what})", exc) from exc

    def _wait_for_lockdown(self, deadline: float) -> None:
        last: HarnessError | None = None
        while time.monotonic() < deadline:
            try:
                self.transport.value("ProductVersion", timeout_s=max(1.0, min(10.0, deadline - time.monotonic())))
                return
            except DeviceError as exc:  # lockdownd starts a little after the phone is listed
                last = exc
                time.sleep(_POLL_S)  # no stream to wait on while lockdownd is not up
        raise DeviceTimeout(self.name, "reboot", f"lockdownd did not answer after the restart ({last})",
                            "check the phone's screen; `harness devices` shows whether it is listed")


async def _listen(usbmux_address: str | None, udid: str) -> MuxConnection:
    """A usbmuxd connection in Listen mode that has read the phone's ``Attached`` (usbmuxd sends one per listed
    device right after the Result); if the phone is not listed it returns after ``_LISTED_WITHIN_S``."""
    mux = await create_mux(usbmux_address)
    try:
        await mux.listen()  # type: ignore[no-untyped-call]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_until(mux, udid, present=True), _LISTED_WITHIN_S)
        return mux
    except BaseException:
        await mux.close()  # type: ignore[no-untyped-call]
        raise


def _listed(mux: MuxConnection, udid: str) -> bool:
    return any(device.matches_udid(udid) for device in mux.devices)


async def _until(mux: MuxConnection, udid: str, present: bool) -> None:
    while _listed(mux, udid) != present:
        await mux.receive_device_state_update()  # type: ignore[no-untyped-call]


async def _restart(lockdown: LockdownClient) -> None:
    async with DiagnosticsService(lockdown) as diagnostics:
        await diagnostics.restart()  # type: ignore[no-untyped-call]

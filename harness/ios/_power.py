"""Power on an iPhone: reboot it, and take it off USB power and back through a switchable hub.

Reboot: ``com.apple.mobile.diagnostics_relay``'s ``Restart`` (what ``pymobiledevice3 diagnostics restart`` and
``idevicediagnostics restart`` send), then wait until the phone is back. pymobiledevice3's
``DiagnosticsService.restart`` sends ``{"Request": "Restart"}`` and checks the reply's ``Status`` is
``Success``; the phone goes down once the service connection closes (``pmd3:services/diagnostics.py``;
libimobiledevice's ``WaitForDisconnect`` flag asks for the same explicitly). After a reboot the phone is locked
and has not been unlocked since boot: data-protected apps do not run until the user unlocks it
(``UiDriver.unlock``).

Unplug / plug: nothing on an iPhone lets a tool stop it charging, so a farm switches the phone's USB port on a
Cambrionix hub (``harness.usbhub``): ``o`` (off: no power, no data) and back to ``s`` (sync + charge). Off the
port the phone runs on battery and, with no data link, leaves usbmuxd's list: no logs, no services, until it is
plugged again. What the app did meanwhile is read back afterwards from its ring buffer (``ring_buffer()``).

Each wait follows the phone on usbmuxd's ``Listen`` stream, opened before the action so no event is missed:
its ``Detached``, its ``Attached``, then lockdownd answering a ``GetValue``. A running ``SyslogCapture``
follows on its own (it reconnects while the phone is away); what the phone logged meanwhile is not seen, as
on a real phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from pymobiledevice3.lockdown import LockdownClient
from pymobiledevice3.services.diagnostics import DiagnosticsService
from pymobiledevice3.usbmux import MuxConnection, create_mux

from harness.errors import CommandFailed, DeviceError, DeviceTimeout, DeviceUnreachable, HarnessError
from harness.ios._base import IOSBase
from harness.ios._bridge import bridge
from harness.journal import Undo
from harness.usbhub import CambrionixClient, HubPort
from harness.virtual_time import LabTime

__all__ = ["PowerVerbs"]

_LISTED_WITHIN_S = 2.0  # usbmuxd lists the attached phones at once after Listen's Result
_POLL_S = 0.2  # between lockdown attempts while the booted phone's lockdownd is not answering yet
HUB_KEY = "hub port"  # the journal's key for the phone's hub port power


class PowerVerbs(IOSBase):
    usb_hub: str | None = None  # "host:port" of the hub API the phone's USB port is on (devices.toml usb_hub)
    usb_hub_port: str | None = None  # "HUBSERIAL:N", when the hub cannot find the phone by its USB serial
    _hub: tuple[CambrionixClient, HubPort] | None = None
    stepper: LabTime | None = None  # a virtual lab phone's clock: these waits move it (harness/virtual_time.py)

    def _away(self, why: str) -> None:
        """The phone leaves on purpose: its capture follows it instead of calling it lost."""
        self.guard(why)
        if self.stream is not None:
            self.stream.away(why)

    def _back(self) -> None:
        if self.stream is not None:
            self.stream.back()

    def reboot(self, timeout_s: float = 180.0) -> None:
        """Restart the phone and return once usbmuxd lists it again and lockdownd answers. The phone comes back
        locked, before its first unlock."""
        deadline = time.monotonic() + timeout_s

        def restart() -> None:
            with self.recording("reboot", "diagnostics_relay Restart"):
                self.transport.call("diagnostics_relay Restart", _restart)

        self._away("rebooting")
        try:
            self._around(restart, "reboot", listed=True, deadline=deadline)
            self._wait_for_lockdown("reboot", deadline)
        finally:
            self._back()

    def unplug(self, for_s: float | None = None, timeout_s: float = 60.0) -> None:
        """Take the phone off USB: its hub port is switched off (no power, no data). It runs on battery and leaves
        usbmuxd's list; nothing can be read from it meanwhile. With ``for_s`` (the phone's time, e.g. a night
        away from the charger) it is plugged back in after that long; otherwise it stays off until ``plug()``."""
        client, port = self._hub_port("unplug")
        self._away("unplugged through its hub")  # until plug(): the phone is off USB on purpose
        before = client.mode(port)
        assert self.usb_hub is not None  # _hub_port found the hub
        # Journaled with the port itself: once it is off, the hub can no longer find the phone by its serial.
        self.journal.record(HUB_KEY, Undo.hub_port(self.usb_hub, f"{port.hub}:{port.port}",
                                                   before if before in ("s", "c") else "s"))

        def switch_off() -> None:
            with self.recording("unplug", f"unplug ({port} off)"):
                client.set_mode(port, "o")

        self._around(switch_off, "unplug", listed=True, deadline=time.monotonic() + timeout_s, come_back=False)
        if for_s is not None:
            # Off USB the phone can be neither seen nor asked: there is nothing to wait on but the time itself
            # (a lab phone's clock runs clock_rate times faster than the wall's).
            if self.stepper is not None:  # a virtual lab phone: its clock moves only when the harness waits
                self.stepper.advance(self.stepper.now() + max(0.0, for_s))
            else:
                time.sleep(max(0.0, for_s) / self.clock_rate)
            self.plug(timeout_s)

    def plug(self, timeout_s: float = 60.0) -> None:
        """Put the phone back on USB (its hub port in sync + charge mode) and return once lockdownd answers."""
        self.guard("plug")
        self._plug(*self._hub_port("plug"), timeout_s)
        self._back()
        self.journal.forget(HUB_KEY)  # back as it was: nothing left to undo

    def _plug(self, client: CambrionixClient, port: HubPort, timeout_s: float = 60.0) -> None:
        started = time.monotonic()
        deadline = started + timeout_s
        self._around(lambda: client.set_mode(port, "s"), "plug", listed=False, deadline=deadline, leave=False)
        self._wait_for_lockdown("plug", deadline)
        self.record("plug", f"plug ({port} sync)", started)

    def usb_port_mode(self) -> str:
        """The hub port's mode: ``s`` sync + charge, ``c`` charge only, ``o`` off."""
        client, port = self._hub_port("usb port mode")
        return client.mode(port)

    def _undo_hub_port(self, undo: Undo) -> None:
        """Put a journaled hub port back in its mode (``s``: and wait until the phone answers again)."""
        hub, (serial, _, number), mode = undo.arg("hub"), undo.arg("port").rpartition(":"), undo.arg("mode")
        client = CambrionixClient(hub, self.name, timeout_s=self.transport.default_timeout_s)
        port = HubPort(serial, int(number))
        if mode == "s":
            self._plug(client, port)
        else:
            client.set_mode(port, mode)

    def _hub_port(self, command: str) -> tuple[CambrionixClient, HubPort]:
        if self._hub is not None:
            return self._hub
        if self.usb_hub is None:
            raise CommandFailed(self.name, command, "no switchable USB hub is configured for this iPhone",
                                'set usb_hub = "host:43424" (its Cambrionix hub\'s API service) in its devices.toml '
                                "entry; an iPhone cannot be taken off power from software")
        client = CambrionixClient(self.usb_hub, self.name, timeout_s=self.transport.default_timeout_s)
        if self.usb_hub_port is not None:
            serial, _, number = self.usb_hub_port.rpartition(":")
            port = HubPort(serial, int(number))
        else:
            usb_serial = self.transport.udid.replace("-", "")  # the USB serial is the UDID without its dash
            found = client.find(usb_serial)
            if found is None:
                raise CommandFailed(self.name, command, f"no hub at {self.usb_hub} sees a USB device {usb_serial}",
                                    'is its port in sync mode (a port off or charge-only has no USB data)? '
                                    'Or name the port: usb_hub_port = "HUBSERIAL:N"')
            port = found
        self._hub = (client, port)
        return client, port

    def _around(self, action: Callable[[], None], command: str, *, listed: bool, deadline: float,
                leave: bool = True, come_back: bool = True) -> None:
        """Run ``action`` with usbmuxd's Listen stream open, then follow the phone leaving and/or coming back."""
        transport = self.transport
        try:
            mux = bridge.run(_listen(transport.usbmux_address, transport.udid, listed), transport.default_timeout_s)
        except TimeoutError as exc:
            raise DeviceTimeout(self.name, "usbmuxd Listen", f"no answer from {transport.where}") from exc
        except Exception as exc:
            raise transport.translate("usbmuxd Listen", exc) from exc
        try:
            if listed and not _listed(mux, transport.udid):
                raise DeviceUnreachable(self.name, command, f"{transport.udid} is not listed by {transport.where}",
                                        "check the cable and the Trust dialog, then `harness devices`")
            action()
            if leave:
                transport.forget()  # the session dies with the USB link
                self._follow(mux, command, "leave usbmuxd's list", present=False, deadline=deadline)
            if come_back:
                self._follow(mux, command, "come back on usbmuxd", present=True, deadline=deadline)
        finally:
            bridge.submit(mux.close())  # type: ignore[no-untyped-call]

    def _follow(self, mux: MuxConnection, command: str, what: str, *, present: bool, deadline: float) -> None:
        if self.stepper is not None:
            self._step_until(lambda: self._listed_now() == present, command, what, deadline)
            return
        try:
            bridge.run(_until(mux, self.transport.udid, present), max(0.1, deadline - time.monotonic()))
        except TimeoutError as exc:
            fix = ("check the phone's screen (a restart can stall on an update or a passcode prompt)"
                   if command == "reboot" else "check the hub port's mode and the cable (`harness devices`)")
            raise DeviceTimeout(self.name, command, f"the phone did not {what} in time", fix) from exc
        except Exception as exc:
            raise self.transport.translate(f"{command}: usbmuxd Listen ({what})", exc) from exc

    def _wait_for_lockdown(self, command: str, deadline: float) -> None:
        last: HarnessError | None = None
        while time.monotonic() < deadline:
            try:
                self.transport.value("ProductVersion", timeout_s=max(1.0, min(10.0, deadline - time.monotonic())))
                return
            except DeviceError as exc:  # lockdownd starts a little after the phone is listed
                last = exc
                if self.stepper is None:
                    time.sleep(_POLL_S)  # no stream to wait on while lockdownd is not up
                elif not self._step(deadline):
                    break
        raise DeviceTimeout(self.name, command, f"lockdownd did not answer after the phone came back ({last})",
                            "check the phone's screen; `harness devices` shows whether it is listed")


    # -- a virtual lab phone: its clock moves only in these waits, one logged event at a time ---------------
    def _step_until(self, ready: Callable[[], bool], command: str, what: str, deadline: float) -> None:
        """Step the phone's clock until ``ready()``; the wall ``deadline``'s length is the window, in device time."""
        assert self.stepper is not None
        limit = self.stepper.now() + max(0.0, deadline - time.monotonic())
        while not ready():
            if self.stepper.step(limit).now >= limit and not ready():
                raise DeviceTimeout(self.name, command, f"the phone did not {what} in time",
                                    "check the lab phone's log (`harness logs`)")

    def _step(self, deadline: float) -> bool:
        """One step of the phone's clock, bounded by the wall ``deadline``'s length in device time."""
        assert self.stepper is not None
        now = self.stepper.now()
        return self.stepper.step(now + max(0.0, deadline - time.monotonic())).now > now

    def _listed_now(self) -> bool:
        """Whether usbmuxd lists the phone now (one ``ListDevices``, no waiting for events)."""
        try:
            return bridge.run(_listed_once(self.transport.usbmux_address, self.transport.udid),
                              self.transport.default_timeout_s)
        except TimeoutError as exc:
            raise DeviceTimeout(self.name, "usbmuxd ListDevices", f"no answer from {self.transport.where}") from exc


async def _listed_once(usbmux_address: str | None, udid: str) -> bool:
    mux = await create_mux(usbmux_address)
    try:
        await mux.get_device_list(0.1)
        return _listed(mux, udid)
    finally:
        await mux.close()  # type: ignore[no-untyped-call]


async def _listen(usbmux_address: str | None, udid: str, listed: bool) -> MuxConnection:
    """A usbmuxd connection in Listen mode. When the phone is expected ``listed``, it has read the phone's
    ``Attached`` (usbmuxd sends one per listed device right after the Result), or waited ``_LISTED_WITHIN_S``."""
    mux = await create_mux(usbmux_address)
    try:
        await mux.listen()  # type: ignore[no-untyped-call]
        if listed:
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

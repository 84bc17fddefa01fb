"""The DVT instruments server (``com.apple.instruments.remoteserver[.DVTSecureSocketProxy]``) over DTX.

What pymobiledevice3's ``DvtProvider`` and ``ProcessControl`` do, and what the phone answers:

1. Both ends announce themselves on channel 0 with ``_notifyOfPublishedCapabilities:`` (one archived
   dictionary argument, no reply). The client sends first and waits up to 15 s for the phone's
   (``pmd3:dtx/connection.py:_perform_handshake``); the phone publishes the services it offers.
2. ``_requestChannelWithCode:identifier:`` (an int32 code and an archived identifier, expects a reply)
   opens a service channel; the phone acknowledges with an empty OK reply.
3. Method calls are DISPATCH messages whose payload is the archived selector and whose auxiliary
   arguments are archived values. ``-[DTXMessage invokeWithTarget:replyChannel:validator:]`` (decompiled
   DTXConnectionServices) answers an object return with an OBJECT reply, a void/nil one with an empty
   reply, and a selector the service lacks with an ERROR whose NSError (domain ``DTXMessage``, code 1)
   reads ``Unable to invoke -[<target> sel] - it does not respond to the selector``; pymobiledevice3
   raises ``UnrecognizedSelectorError`` on that suffix (``pmd3:dtx/channel.py:_unwrap_reply``).

Services: ``processcontrol`` (launch, kill, signal, pid lookup, ``isPidDebuggable:``; the OS model
``VirtualIPhone.system`` does the work for apps, launchd respawns a killed daemon:
``VirtualIPhone.kill_daemon``), ``LocationSimulation`` (``simulateLocationWithLatitude:longitude:``,
``stopLocationSimulation``) and the channels that describe the phone, ``deviceinfo`` (processes, directories,
hardware), ``device.applictionListing`` and ``screenshot`` (``dvt_info.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.lab.ios import nskeyed
from harness.lab.ios.contracts import LaunchRefused
from harness.lab.ios.dtx import (
    I32,
    I64,
    AuxValue,
    DtxDecoder,
    DtxMessage,
    DtxProtocolError,
    MessageType,
    decode_aux,
    encode_aux,
    encode_message,
)
from harness.lab.ios.dvt_channels import DvtChannel, Reply, Unrecognized, dtx_error
from harness.lab.ios.dvt_info import DEVICE_INFO, DEVICE_INFO_CHANNELS
from harness.lab.ios.dvt_stackshot import CORE_PROFILE_SESSION_TAP, CoreProfileSessionTapService
from harness.lab.ios.dvt_sysmon import SYSMONTAP, SysmontapService
from harness.lab.ios.link import Link
from harness.lab.ios.nskeyed import NSError

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["DEVICE_INFO", "LOCATION_SIMULATION", "PROCESS_CONTROL", "DvtSession", "serve_dvt"]

log = logging.getLogger("harness.lab.ios.dvt")

PROCESS_CONTROL = "com.apple.instruments.server.services.processcontrol"
LOCATION_SIMULATION = "com.apple.instruments.server.services.LocationSimulation"
SIGKILL, SIGSTOP, SIGCONT = 9, 17, 19  # Darwin <sys/signal.h>
_MAX_UNSENT = 8 * 1024 * 1024
DEV_SIGNERS = ("Apple Development", "iPhone Developer")  # certificates of development-signed builds
# The versions are what the lab publishes; pymobiledevice3 reads only the keys (supported_identifiers).
CAPABILITIES = {"com.apple.private.DTXBlockCompression": 0, "com.apple.private.DTXConnection": 1,
                PROCESS_CONTROL: 107, LOCATION_SIMULATION: 1, SYSMONTAP: 1, CORE_PROFILE_SESSION_TAP: 1,
                **{name: version for name, (_cls, version) in DEVICE_INFO_CHANNELS.items()}}


def _arg(value: AuxValue) -> Any:
    """An auxiliary argument as a Python value: archives are unarchived, int primitives unwrapped."""
    if isinstance(value, bytes):
        return nskeyed.unarchive(value) if value else None
    if isinstance(value, I32 | I64):
        return value.value
    return value


class ProcessControlService(DvtChannel):
    """``DTProcessControlService``: the methods ``pmd3:services/dvt/instruments/process_control.py`` calls."""

    objc_class = "DTProcessControlService"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        super().__init__(device, address)
        self.methods = {
            "launchSuspendedProcessWithDevicePath:bundleIdentifier:environment:arguments:options:": self.launch,
            "killPid:": lambda pid: self.signal(SIGKILL, pid),
            "sendSignal:toPid:": self.signal,
            "suspendPid:": lambda pid: self.signal(SIGSTOP, pid),
            "resumePid:": lambda pid: self.signal(SIGCONT, pid),
            "processIdentifierForBundleIdentifier:": self.pid_for_bundle,
            "startObservingPid:": lambda _pid: None,
            "stopObservingPid:": lambda _pid: None,
            "requestDisableMemoryLimitsForPid:": lambda pid: int(pid) in self.device.processes,
            "isPidDebuggable:": self.debuggable,
        }

    def launch(self, _path: Any, bundle_id: Any, environment: Any, arguments: Any, options: Any) -> Reply:
        """Errors read ``<reason> : Failed to launch process with bundle identifier '<id>'`` in domain
        ``DTXMessage`` code 1, as a real phone reports a refused launch (AirtestProject/iOS-Tagent#205)."""
        if not isinstance(bundle_id, str):
            raise TypeError("bundleIdentifier must be a string")
        env = {str(k): str(v) for k, v in (environment or {}).items()}
        argv = [str(a) for a in (arguments or [])]
        opts = options if isinstance(options, dict) else {}
        system = self.device.system
        try:
            if system is None:
                raise LaunchRefused(self._no_model_reason(bundle_id))
            return system.launch(bundle_id, arguments=argv, environment=env,
                                 kill_existing=bool(opts.get("KillExisting", False)),
                                 start_suspended=bool(opts.get("StartSuspendedKey", False)))
        except LaunchRefused as exc:
            return dtx_error(f"{exc} : Failed to launch process with bundle identifier '{bundle_id}'")

    def _no_model_reason(self, bundle_id: str) -> str:
        # FrontBoard: error 4 = the app is unknown, 1 = the request was denied (nothing can run it here).
        code = 1 if bundle_id in self.device.apps else 4
        return f"The operation couldn’t be completed. (FBSOpenApplicationErrorDomain error {code}.)"

    def debuggable(self, pid: Any) -> Reply:
        """Only a development-signed app's process carries ``get-task-allow`` (what debugserver needs to
        attach); system daemons and App Store builds do not."""
        name = self.device.processes.get(int(pid))
        app = next((a for a in self.device.apps.values() if a.executable == name), None)
        return app is not None and str(app.attributes().get("SignerIdentity", "")).startswith(DEV_SIGNERS)

    def signal(self, sig: Any, pid: Any) -> Reply:
        pid, sig = int(pid), int(sig)
        system = self.device.system
        if self.device.is_launchd_job(pid):
            delivered = self.device.kill_daemon(pid, sig)  # launchd brings it back under a new pid
        else:
            delivered = system.kill(pid, sig) if system is not None else pid in self.device.processes
        if delivered:
            return None
        return dtx_error("The operation couldn’t be completed. No such process", code=3, domain="NSPOSIXErrorDomain")

    def pid_for_bundle(self, bundle_id: Any) -> Reply:
        system = self.device.system
        return system.pid_for_bundle(str(bundle_id)) if system is not None else 0


class LocationSimulationService(DvtChannel):
    """The ``LocationSimulation`` channel (``pmd3:services/dvt/instruments/location_simulation.py``): Xcode's
    "Simulate Location"; the phone reports the given coordinate until ``stopLocationSimulation``. The class
    name the phone reports in errors is the lab's [unverified]."""

    objc_class = "DTLocationSimulationService"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        super().__init__(device, address)
        self.methods = {"simulateLocationWithLatitude:longitude:": self.simulate,
                        "stopLocationSimulation": self.stop}

    def simulate(self, latitude: Any, longitude: Any) -> Reply:
        if self.device.system is not None:
            self.device.system.simulate_location(float(latitude), float(longitude))
        return None

    def stop(self) -> Reply:
        if self.device.system is not None:
            self.device.system.simulate_location(None)
        return None


_SERVICES: dict[str, type[DvtChannel]] = {
    PROCESS_CONTROL: ProcessControlService, LOCATION_SIMULATION: LocationSimulationService,
    SYSMONTAP: SysmontapService, CORE_PROFILE_SESSION_TAP: CoreProfileSessionTapService,
    **{name: cls for name, (cls, _version) in DEVICE_INFO_CHANNELS.items()}}


class DvtSession:
    """One DTX connection to the instruments server: ``handle(message) -> messages to send``. No I/O."""

    def __init__(self, device: VirtualIPhone) -> None:
        self.device = device
        self.channels: dict[int, DvtChannel] = {}
        self.client_capabilities: dict[str, Any] | None = None
        self.outbox: Callable[[DtxMessage], None] | None = None  # where unasked messages go (serve_dvt)
        self._next_id = 1
        self._next_address = 0x281F4C000

    def _address(self) -> int:
        self._next_address += 0x40
        return self._next_address

    def handle(self, msg: DtxMessage) -> list[DtxMessage]:
        if msg.conversation_index % 2 == 1:
            return []  # a reply to something the phone sent; it sends nothing that needs one
        if msg.type == MessageType.DISPATCH:
            return self._dispatch(msg)
        if msg.type == MessageType.COMPRESSED:
            return self._reply(msg, dtx_error("Compressed messages were not negotiated"))
        return self._reply(msg, None)  # notifications, data and barriers: acknowledged when asked

    def _reply(self, msg: DtxMessage, value: Reply) -> list[DtxMessage]:
        if not msg.expects_reply:
            return []
        conv = msg.conversation_index + 1
        if isinstance(value, NSError):
            return [DtxMessage(MessageType.ERROR, msg.identifier, conv, msg.channel_code,
                               payload=nskeyed.archive(value))]
        if value is None:
            return [DtxMessage(MessageType.OK, msg.identifier, conv, msg.channel_code)]
        return [DtxMessage(MessageType.OBJECT, msg.identifier, conv, msg.channel_code, payload=nskeyed.archive(value))]

    def _dispatch(self, msg: DtxMessage) -> list[DtxMessage]:
        try:
            selector = nskeyed.unarchive(msg.payload)
            args = [_arg(value) for value in decode_aux(msg.aux)]
        except (nskeyed.NSKeyedError, DtxProtocolError) as exc:
            return self._reply(msg, dtx_error(f"Unable to decode the message: {exc}"))
        if not isinstance(selector, str):
            return self._reply(msg, dtx_error(f"Expected a selector string, got {type(selector).__name__}"))
        if msg.channel_code == 0:
            return self._control(msg, selector, args)
        service = self.channels.get(msg.channel_code)
        if service is None:
            return self._reply(msg, dtx_error(f"No channel registered for code {msg.channel_code}"))
        try:
            value = service.invoke(selector, args)
        except Unrecognized:
            value = _unrecognized(service.target, selector)
        return self._reply(msg, value)

    def _control(self, msg: DtxMessage, selector: str, args: list[Any]) -> list[DtxMessage]:
        if selector == "_notifyOfPublishedCapabilities:" and len(args) == 1:
            first = self.client_capabilities is None
            self.client_capabilities = args[0] if isinstance(args[0], dict) else {}
            out = self._reply(msg, None)
            return [*out, self._capabilities()] if first else out
        if selector == "_requestChannelWithCode:identifier:" and len(args) == 2:
            return self._reply(msg, self._open_channel(args[0], args[1]))
        if selector == "_channelCanceled:" and len(args) == 1:
            channel = self.channels.pop(args[0], None) if isinstance(args[0], int) else None
            if channel is not None:
                channel.close()
            return self._reply(msg, None)
        return self._reply(msg, _unrecognized(f"<DTXConnection: {self._address():#x}>", selector))

    def _open_channel(self, code: Any, identifier: Any) -> NSError | None:
        if not isinstance(code, int) or not isinstance(identifier, str) or code <= 0:
            return dtx_error(f"Invalid channel request ({code!r}, {identifier!r})")
        if code in self.channels:
            return dtx_error(f"Channel code {code} is already in use")
        cls = _SERVICES.get(identifier)
        if cls is None:
            return dtx_error(f"Unable to find a service for identifier {identifier}")
        channel = cls(self.device, self._address())
        channel.emit = lambda value: self._push(code, MessageType.OBJECT, nskeyed.archive(value))
        channel.emit_data = lambda data: self._push(code, MessageType.DATA, data)
        self.channels[code] = channel
        log.debug("[%s] DTX channel %d → %s", self.device.name, code, identifier)
        return None

    def _push(self, code: int, kind: MessageType, payload: bytes) -> None:
        """A message the phone sends unasked on the client's channel ``code``: conversation index 0 and
        the channel code negated, as the side that did not open the channel writes it (pymobiledevice3
        negates it back: ``pmd3:dtx/_reader.py``)."""
        if self.outbox is None or code not in self.channels:
            return
        ident, self._next_id = self._next_id, self._next_id + 1
        self.outbox(DtxMessage(kind, ident, 0, -code, payload=payload))

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.channels.clear()

    def _capabilities(self) -> DtxMessage:
        ident, self._next_id = self._next_id, self._next_id + 1
        return DtxMessage(MessageType.DISPATCH, ident, 0, 0, payload=nskeyed.archive("_notifyOfPublishedCapabilities:"),
                          aux=encode_aux([nskeyed.archive(CAPABILITIES)]))


def _unrecognized(target: str, selector: str) -> NSError:
    return dtx_error(f"Unable to invoke -[{target} {selector}] - it does not respond to the selector")


async def serve_dvt(device: VirtualIPhone, link: Link) -> None:
    """Serve one DTX connection until the client hangs up; bad framing ends this connection only."""
    session, decoder = DvtSession(device), DtxDecoder()

    def unasked(msg: DtxMessage) -> None:
        # A tap's samples while the client reads none: drop them rather than buffer without bound.
        if not link.closing and link.pending <= _MAX_UNSENT:
            link.write(encode_message(msg))

    session.outbox = unasked
    try:
        while data := await link.read():
            for msg in decoder.feed(data):
                for reply in session.handle(msg):
                    link.write(encode_message(reply))
            await link.drain()
    except DtxProtocolError as exc:
        log.warning("[%s] DVT: dropping connection: %s", device.name, exc)
    finally:
        session.close()
        link.close()

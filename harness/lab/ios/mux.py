"""usbmuxd's state and answers, without I/O: which phones are attached under which DeviceID, the
system BUID, the pair records, and what each request gets back (``usbmuxd@1.1.1:src/client.c:
client_command``; reply shapes in ``send_device_list``, ``send_system_buid``, ``send_pair_record``).

How clients read the replies constrains them (``libusbmuxd@2.0.2:src/libusbmuxd.c``):

- success replies to ``ListDevices``, ``ReadBUID`` and ``ReadPairRecord`` carry **no** ``MessageType``;
  libusbmuxd's ``receive_packet`` hands such a plist to the caller as-is, while a plist with
  ``MessageType: Result`` becomes a result code and its payload is dropped;
- each ``DeviceList`` entry needs ``MessageType: Attached`` and a top-level ``DeviceID`` for
  pymobiledevice3 (``pmd3:usbmux.py:PlistMuxConnection._process_device_state``) and ``Properties``
  with ``DeviceID`` > 0, ``SerialNumber`` and ``ConnectionType`` for libusbmuxd
  (``device_info_from_plist``; lists end at the first handle 0 in ``usbmuxd_get_device_by_udid``);
- ``ConnectionType`` is ``"USB"``: for ``"Network"`` libimobiledevice 1.3.0 would dial the phone's
  ``NetworkAddress`` itself (``limd@1.3.0:src/idevice.c:idevice_connect``);
- ``Connect``'s ``PortNumber`` is ``htons(port)`` from both clients (``send_connect_packet``;
  ``pmd3:usbmux.py:MuxConnection.connect``), so lockdown's 62078 arrives as 32498 and is swapped back.
"""

from __future__ import annotations

import errno
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from harness.lab.ios.codec import (
    MuxMessage,
    MuxPacket,
    MuxResult,
    ProtocolError,
    decode_mux_plist,
    encode_mux_plist,
    encode_mux_result,
)
from harness.lab.ios.device import VirtualIPhone
from harness.lab.ios.link import PortHandler

__all__ = ["APPLE_IPHONE_PID", "Attachment", "MuxHost", "OpenTunnel", "Reply", "StartListen"]

log = logging.getLogger("harness.lab.ios.usbmuxd")

APPLE_IPHONE_PID = 0x12A8  # the USB product id every iPhone since the 5 enumerates with
USB2_SPEED = 480_000_000  # ConnectionSpeed in bit/s


@dataclass(frozen=True, slots=True)
class Attachment:
    device_id: int
    device: VirtualIPhone
    location_id: int


@dataclass(frozen=True, slots=True)
class Reply:
    """Send ``data`` and keep serving requests."""

    data: bytes
    paired_device_id: int | None = None  # SavePairRecord for an attached phone: tell the listeners


@dataclass(frozen=True, slots=True)
class StartListen:
    """Send ``data`` (Result 0 + one Attached per phone); from now on the socket only gets events."""

    data: bytes


@dataclass(frozen=True, slots=True)
class OpenTunnel:
    """Send ``data`` (Result 0), then the socket is a raw pipe to ``handler`` on the phone."""

    data: bytes
    device_id: int
    handler: PortHandler


Action = Reply | StartListen | OpenTunnel


def _ntohs(value: int) -> int:
    value &= 0xFFFF
    return ((value & 0xFF) << 8) | (value >> 8)


class MuxHost:
    def __init__(self, buid: str | None = None) -> None:
        self.buid = buid or str(uuid.uuid4()).upper()
        self.attached: dict[int, Attachment] = {}
        self.known: dict[str, VirtualIPhone] = {}  # every phone ever attached, by UDID
        self.saved_records: dict[str, bytes] = {}  # SavePairRecord'ed data, by PairRecordID
        self.deleted_records: set[str] = set()
        self._next_id = 1

    # -- attachments ----------------------------------------------------------------------------
    def attach(self, device: VirtualIPhone) -> Attachment:
        """Plug ``device`` in; usbmuxd numbers attachments from 1 and never reuses an id."""
        for att in self.attached.values():
            if att.device is device:
                return att
        device.system_buid = self.buid
        att = Attachment(self._next_id, device, 0x01100000 + (self._next_id << 16))
        self._next_id += 1
        self.attached[att.device_id] = att
        self.known[device.udid] = device
        return att

    def detach(self, device: VirtualIPhone) -> Attachment | None:
        for device_id, att in list(self.attached.items()):
            if att.device is device:
                return self.attached.pop(device_id)
        return None

    @staticmethod
    def attached_plist(att: Attachment) -> dict[str, Any]:
        """``usbmuxd@1.1.1:src/client.c:create_device_attached_plist``; the serial is the dashed UDID
        (usbmuxd inserts the dash after 8 digits for 24-digit serials: ``usb.c``)."""
        return {
            "MessageType": "Attached",
            "DeviceID": att.device_id,
            "Properties": {
                "ConnectionSpeed": USB2_SPEED,
                "ConnectionType": "USB",
                "DeviceID": att.device_id,
                "LocationID": att.location_id,
                "ProductID": APPLE_IPHONE_PID,
                "SerialNumber": att.device.udid,
            },
        }

    # -- requests -------------------------------------------------------------------------------
    def handle(self, packet: MuxPacket) -> Action:
        if packet.version not in (0, 1):
            return Reply(encode_mux_result(packet.tag, MuxResult.BADVERSION, 0))
        if packet.message != MuxMessage.PLIST:
            # The binary protocol (version 0 LISTEN/CONNECT) is a fallback no supported client uses:
            # both start with plists (libusbmuxd proto_version = 1; pmd3 MuxConnection.create).
            return Reply(encode_mux_result(packet.tag, MuxResult.BADCOMMAND, packet.version))
        try:
            request = decode_mux_plist(packet.payload)
        except ProtocolError as exc:
            log.warning("usbmuxd: ignoring request: %s", exc)  # client.c returns without replying
            return Reply(b"")
        kind = request["MessageType"]
        tag = packet.tag
        if kind == "ListDevices":
            entries = [self.attached_plist(att) for att in self.attached.values()]
            return Reply(encode_mux_plist(tag, {"DeviceList": entries}))
        if kind == "Listen":
            events = b"".join(encode_mux_plist(0, self.attached_plist(att)) for att in self.attached.values())
            return StartListen(encode_mux_result(tag, MuxResult.OK) + events)
        if kind == "Connect":
            return self._connect(tag, request)
        if kind == "ReadBUID":
            return Reply(encode_mux_plist(tag, {"BUID": self.buid}))
        if kind == "ReadPairRecord":
            return self._read_pair_record(tag, request)
        if kind == "SavePairRecord":
            return self._save_pair_record(tag, request)
        if kind == "DeletePairRecord":
            return self._delete_pair_record(tag, request)
        log.info("usbmuxd: unknown request %r", kind)
        return Reply(encode_mux_result(tag, MuxResult.BADCOMMAND))

    def _connect(self, tag: int, request: dict[str, Any]) -> Action:
        device_id, port_number = request.get("DeviceID"), request.get("PortNumber")
        if not isinstance(device_id, int):
            return Reply(encode_mux_result(tag, MuxResult.BADDEV))
        if not isinstance(port_number, int):
            return Reply(encode_mux_result(tag, MuxResult.BADCOMMAND))
        att = self.attached.get(device_id)
        if att is None:  # device.c:device_start_connect: "nonexistent device"
            return Reply(encode_mux_result(tag, MuxResult.BADDEV))
        port = _ntohs(port_number)
        handler = att.device.open_port(port)
        if handler is None:  # the phone answered the SYN with RST: connection_teardown
            log.info("[%s] usbmuxd: connection to port %d refused", att.device.name, port)
            return Reply(encode_mux_result(tag, MuxResult.CONNREFUSED))
        return OpenTunnel(encode_mux_result(tag, MuxResult.OK), device_id, handler)

    def pair_record(self, record_id: str) -> bytes | None:
        if record_id in self.saved_records:
            return self.saved_records[record_id]
        if record_id in self.deleted_records:
            return None
        wanted = record_id.replace("-", "")
        for udid, device in self.known.items():
            if udid.replace("-", "") == wanted:
                return device.pairing.record_bytes()
        return None

    def _read_pair_record(self, tag: int, request: dict[str, Any]) -> Reply:
        record_id = request.get("PairRecordID")
        if not isinstance(record_id, str):
            return Reply(encode_mux_result(tag, errno.EINVAL))
        data = self.pair_record(record_id)
        if data is None:  # send_pair_record: ENOENT; pmd3 then raises NotPairedError
            return Reply(encode_mux_result(tag, errno.ENOENT))
        return Reply(encode_mux_plist(tag, {"PairRecordData": data}))

    def _save_pair_record(self, tag: int, request: dict[str, Any]) -> Reply:
        record_id, data = request.get("PairRecordID"), request.get("PairRecordData")
        if not isinstance(record_id, str) or not isinstance(data, bytes):
            return Reply(encode_mux_result(tag, errno.EINVAL))
        self.saved_records[record_id] = data
        self.deleted_records.discard(record_id)
        device_id = request.get("DeviceID")
        paired = device_id if isinstance(device_id, int) and device_id in self.attached else None
        return Reply(encode_mux_result(tag, MuxResult.OK), paired_device_id=paired)

    def _delete_pair_record(self, tag: int, request: dict[str, Any]) -> Reply:
        record_id = request.get("PairRecordID")
        if not isinstance(record_id, str):
            return Reply(encode_mux_result(tag, errno.EINVAL))
        existed = self.pair_record(record_id) is not None
        self.saved_records.pop(record_id, None)
        self.deleted_records.add(record_id)
        return Reply(encode_mux_result(tag, MuxResult.OK if existed else errno.ENOENT))

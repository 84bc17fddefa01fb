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

Each connection is a ``MuxClient`` (``client.c:struct mux_client``): its number (counted from 0 over the
daemon's life), its protocol version (0 until it sends a plist, then 1 for good: every reply and event is
in that version, ``send_pkt`` stamps ``client->proto_version``), whether it listens, and the ``info`` its
last plist carried (``update_client_info``: BundleID, ClientVersionString, ProgName, kLibUSBMuxVersion).
A binary (version 0) LISTEN or CONNECT is answered in binary: a RESULT packet with a u32 body
(``send_result``), DEVICE_ADD events carrying a ``usbmuxd_device_record`` (``notify_device_add``).
``ListListeners`` lists every listening client (``send_listener_list``).
"""

from __future__ import annotations

import errno
import logging
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any

from harness.lab.ios.codec import (
    MuxMessage,
    MuxPacket,
    MuxResult,
    ProtocolError,
    decode_mux_plist,
    encode_mux,
    encode_mux_plist,
    encode_mux_result,
)
from harness.lab.ios.device import LOCKDOWN_PORT, VirtualIPhone
from harness.lab.ios.link import PortHandler
from harness.lab.ios.lockdownd import lockdown_handler

__all__ = ["APPLE_IPHONE_PID", "Attachment", "MuxClient", "MuxHost", "OpenTunnel", "Reply", "StartListen"]

log = logging.getLogger("harness.lab.ios.usbmuxd")

APPLE_IPHONE_PID = 0x12A8  # the USB product id every iPhone since the 5 enumerates with
USB2_SPEED = 480_000_000  # ConnectionSpeed in bit/s
# usbmuxd-proto.h: struct usbmuxd_connect_request's body and struct usbmuxd_device_record (packed)
_CONNECT_BODY = struct.Struct("<IHH")
_DEVICE_RECORD = struct.Struct("<IH256sHI")
_U32 = struct.Struct("<I")
# update_client_info keeps these of a plist request, with these types
_CLIENT_INFO = {"BundleID": str, "ClientVersionString": str, "ProgName": str, "kLibUSBMuxVersion": int}
_BINARY_EVENTS = {"Detached": MuxMessage.DEVICE_REMOVE, "Paired": MuxMessage.DEVICE_PAIRED}


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


@dataclass(slots=True)
class MuxClient:
    """One client connection as usbmuxd keeps it."""

    number: int
    proto_version: int = 0
    listening: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def update_info(self, request: dict[str, Any]) -> None:
        self.info = {key: value for key, kind in _CLIENT_INFO.items()
                     if isinstance(value := request.get(key), kind) and not isinstance(value, bool)}

    def listener_entry(self, asking: MuxClient) -> dict[str, Any]:
        """This listener in ``ListListeners``. usbmuxd 1.1.1 numbers the ``ID String`` with the *asking*
        client's number, not the listener's (``sprintf(idstring, "%u-%s", client->number, …)``)."""
        prog = self.info.get("ProgName", "unknown")
        entry: dict[str, Any] = {"Blacklisted": False}
        if "BundleID" in self.info:
            entry["BundleID"] = self.info["BundleID"]
        entry.update({"ConnType": 0, "ID String": f"{asking.number}-{prog}", "ProgName": prog,
                      "kLibUSBMuxVersion": self.info.get("kLibUSBMuxVersion", 0)})
        return entry


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
        self.clients: dict[int, MuxClient] = {}  # open connections, by client number
        self._next_id = 1
        self._next_client = 0

    # -- clients --------------------------------------------------------------------------------
    def open_client(self) -> MuxClient:
        client = MuxClient(self._next_client)
        self._next_client += 1
        self.clients[client.number] = client
        return client

    def close_client(self, client: MuxClient) -> None:
        self.clients.pop(client.number, None)

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

    def event(self, event: dict[str, Any], version: int) -> bytes:
        """A notification (tag 0) in a listener's protocol: the plist, or the binary packet
        (``notify_device_add``/``notify_device_remove``/``notify_device_paired``)."""
        if version == 1:
            return encode_mux_plist(0, event)
        if event["MessageType"] == "Attached":
            props = event["Properties"]
            serial = str(props["SerialNumber"]).encode()[:255]
            body = _DEVICE_RECORD.pack(event["DeviceID"], props["ProductID"], serial, 0, props["LocationID"])
            return encode_mux(MuxPacket(0, MuxMessage.DEVICE_ADD, 0, body))
        message = _BINARY_EVENTS[event["MessageType"]]
        return encode_mux(MuxPacket(0, message, 0, _U32.pack(event["DeviceID"])))

    # -- requests -------------------------------------------------------------------------------
    def handle(self, packet: MuxPacket, client: MuxClient | None = None) -> Action:
        """The answer to ``packet`` from ``client`` (a fresh, unregistered one if None)."""
        client = client if client is not None else MuxClient(-1)
        if packet.version not in (0, 1):
            return Reply(encode_mux_result(packet.tag, MuxResult.BADVERSION, client.proto_version))
        if packet.message == MuxMessage.LISTEN:
            return self._listen(packet.tag, client)
        if packet.message == MuxMessage.CONNECT:
            if len(packet.payload) < _CONNECT_BODY.size:
                return Reply(encode_mux_result(packet.tag, MuxResult.BADCOMMAND, client.proto_version))
            device_id, port_number, _reserved = _CONNECT_BODY.unpack_from(packet.payload)
            return self._connect_to(packet.tag, device_id, _ntohs(port_number), client.proto_version)
        if packet.message != MuxMessage.PLIST:  # client.c: "invalid command"
            return Reply(encode_mux_result(packet.tag, MuxResult.BADCOMMAND, client.proto_version))
        client.proto_version = 1
        try:
            request = decode_mux_plist(packet.payload)
        except ProtocolError as exc:
            log.warning("usbmuxd: ignoring request: %s", exc)  # client.c returns without replying
            return Reply(b"")
        client.update_info(request)
        return self._plist_request(packet.tag, request, client)

    def _plist_request(self, tag: int, request: dict[str, Any], client: MuxClient) -> Action:
        kind = request["MessageType"]
        if kind == "ListDevices":
            entries = [self.attached_plist(att) for att in self.attached.values()]
            return Reply(encode_mux_plist(tag, {"DeviceList": entries}))
        if kind == "Listen":
            return self._listen(tag, client)
        if kind == "Connect":
            return self._connect(tag, request)
        if kind == "ListListeners":
            listeners = [c.listener_entry(client) for c in self.clients.values() if c.listening]
            return Reply(encode_mux_plist(tag, {"ListenerList": listeners}))
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

    def _listen(self, tag: int, client: MuxClient) -> StartListen:
        """Result 0, then one Attached per phone (``start_listen``); the client is a listener from now on."""
        client.listening = True
        version = client.proto_version
        events = b"".join(self.event(self.attached_plist(att), version) for att in self.attached.values())
        return StartListen(encode_mux_result(tag, MuxResult.OK, version) + events)

    def _connect(self, tag: int, request: dict[str, Any]) -> Action:
        device_id, port_number = request.get("DeviceID"), request.get("PortNumber")
        if not isinstance(device_id, int):
            return Reply(encode_mux_result(tag, MuxResult.BADDEV))
        if not isinstance(port_number, int):
            return Reply(encode_mux_result(tag, MuxResult.BADCOMMAND))
        return self._connect_to(tag, device_id, _ntohs(port_number), 1)

    def _connect_to(self, tag: int, device_id: int, port: int, version: int) -> Action:
        att = self.attached.get(device_id)
        if att is None:  # device.c:device_start_connect: "nonexistent device"
            return Reply(encode_mux_result(tag, MuxResult.BADDEV, version))
        handler = lockdown_handler(att.device) if port == LOCKDOWN_PORT else att.device.open_port(port)
        if handler is None:  # the phone answered the SYN with RST: connection_teardown
            log.info("[%s] usbmuxd: connection to port %d refused", att.device.name, port)
            return Reply(encode_mux_result(tag, MuxResult.CONNREFUSED, version))
        return OpenTunnel(encode_mux_result(tag, MuxResult.OK, version), device_id, handler)

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

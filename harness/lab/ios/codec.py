"""The iPhone lab's three framings, as pure codecs: bytes in, messages out. No sockets here.

- **usbmuxd**: a 16-byte little-endian header ``length, version, message, tag`` (the length counts the
  header), then the payload (``libusbmuxd@2.0.2:include/usbmuxd-proto.h:struct usbmuxd_header``;
  ``pmd3:usbmux.py:build_usbmuxd_request``). The plist protocol is version 1, message 8, with an XML
  plist payload: libusbmuxd 2.0.2 parses replies with ``plist_from_xml`` only (``receive_packet``).
- **lockdown and plist services**: a 4-byte big-endian length, then an XML or binary plist
  (``pmd3:service_connection.py:build_plist``/``recv_prefixed``;
  ``limd@1.3.0:src/property_list_service.c:internal_plist_send/receive``).
- **syslog_relay**: each record is the text line, ``"\\n"``, then a NUL byte. pymobiledevice3 splits on
  ``b"\\n\\x00"`` (``pmd3:services/syslog.py:SYSLOG_LINE_SPLITTER``); idevicesyslog 1.3.0 buffers up to
  each NUL (``limd@1.3.0:src/syslog_relay.c:syslog_relay_worker``).
"""

from __future__ import annotations

import plistlib
import re
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

__all__ = [
    "MUX_HEADER",
    "MUX_MAX_PACKET",
    "PLIST_MAX_FRAME",
    "MuxDecoder",
    "MuxMessage",
    "MuxPacket",
    "MuxResult",
    "PlistFrameDecoder",
    "ProtocolError",
    "SyslogDecoder",
    "decode_mux_plist",
    "encode_mux",
    "encode_mux_plist",
    "encode_mux_result",
    "encode_plist_frame",
    "encode_syslog_record",
    "xml_safe",
]

MUX_HEADER = struct.Struct("<4I")
# usbmuxd@1.1.1:src/client.c: CMD_BUF_SIZE; a longer request makes usbmuxd drop the client.
MUX_MAX_PACKET = 0x10000
PLIST_MAX_FRAME = 16 * 1024 * 1024
_FRAME_LEN = struct.Struct(">I")


class MuxMessage(IntEnum):
    """``usbmuxd-proto.h:enum usbmuxd_msgtype`` (``pmd3:usbmux.py:UsbmuxdMessageType``)."""

    RESULT = 1
    CONNECT = 2
    LISTEN = 3
    DEVICE_ADD = 4
    DEVICE_REMOVE = 5
    DEVICE_PAIRED = 6
    PLIST = 8


class MuxResult(IntEnum):
    """``usbmuxd-proto.h:enum usbmuxd_result``; pymobiledevice3 maps them in ``_raise_mux_exception``."""

    OK = 0
    BADCOMMAND = 1
    BADDEV = 2
    CONNREFUSED = 3
    BADVERSION = 6


class ProtocolError(Exception):
    """The peer sent bytes that do not follow the framing."""


@dataclass(frozen=True, slots=True)
class MuxPacket:
    version: int
    message: int
    tag: int
    payload: bytes = b""


def encode_mux(packet: MuxPacket) -> bytes:
    length = MUX_HEADER.size + len(packet.payload)
    return MUX_HEADER.pack(length, packet.version, packet.message, packet.tag) + packet.payload


def encode_mux_plist(tag: int, body: dict[str, Any]) -> bytes:
    """A plist-protocol packet (version 1, message 8) carrying ``body`` as an XML plist."""
    return encode_mux(MuxPacket(1, MuxMessage.PLIST, tag, plistlib.dumps(body, fmt=plistlib.FMT_XML)))


def encode_mux_result(tag: int, number: int, version: int = 1) -> bytes:
    """A Result in the client's protocol: a plist ``{MessageType: Result, Number}`` for version 1,
    a binary RESULT packet with a u32 body for version 0 (``usbmuxd@1.1.1:src/client.c:send_result``)."""
    if version == 1:
        return encode_mux_plist(tag, {"MessageType": "Result", "Number": number})
    return encode_mux(MuxPacket(0, MuxMessage.RESULT, tag, struct.pack("<I", number)))


def decode_mux_plist(payload: bytes) -> dict[str, Any]:
    """The request dict of a plist packet; usbmuxd requires a dict with a string ``MessageType``."""
    try:
        body = plistlib.loads(payload)
    except Exception as exc:  # plistlib raises InvalidFileException, ExpatError, ValueError, …
        raise ProtocolError(f"usbmuxd payload is not a plist: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("MessageType"), str):
        raise ProtocolError("usbmuxd plist has no string MessageType")
    return body


class MuxDecoder:
    """Incremental usbmuxd decoder. ``feed`` buffers; ``next_packet`` pops one packet at a time, so a
    caller can stop after ``Connect`` and hand the remaining bytes (``rest``) to the device port."""

    def __init__(self, max_packet: int = MUX_MAX_PACKET) -> None:
        self._buf = bytearray()
        self.max_packet = max_packet

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_packet(self) -> MuxPacket | None:
        if len(self._buf) < MUX_HEADER.size:
            return None
        length, version, message, tag = MUX_HEADER.unpack_from(self._buf)
        if length < MUX_HEADER.size:
            raise ProtocolError(f"usbmuxd packet length {length} is shorter than its header")
        if length > self.max_packet:
            raise ProtocolError(f"usbmuxd packet of {length} bytes exceeds {self.max_packet}")
        if len(self._buf) < length:
            return None
        payload = bytes(self._buf[MUX_HEADER.size : length])
        del self._buf[:length]
        return MuxPacket(version, message, tag, payload)

    def packets(self, data: bytes = b"") -> list[MuxPacket]:
        """Feed ``data`` and pop every whole packet (for peers that never switch to a tunnel)."""
        self.feed(data)
        out: list[MuxPacket] = []
        while (packet := self.next_packet()) is not None:
            out.append(packet)
        return out

    def rest(self) -> bytes:
        """Bytes buffered after the last packet popped; the decoder is empty afterwards."""
        data = bytes(self._buf)
        self._buf.clear()
        return data


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_safe(value: Any) -> Any:
    """``value`` with the control characters XML cannot carry replaced by U+FFFD, in every string and key.

    A reply that echoes a client's text (an unknown command's name) would otherwise make plistlib raise
    and the service drop the connection with a traceback instead of answering the error."""
    if isinstance(value, str):
        return _NOT_XML.sub("\ufffd", value)
    if isinstance(value, dict):
        return {xml_safe(k): xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe(v) for v in value]
    return value


def encode_plist_frame(body: Any, fmt: plistlib.PlistFormat = plistlib.FMT_XML) -> bytes:
    """A 4-byte big-endian length, then the plist. Lockdown replies are XML like a real device's."""
    data = plistlib.dumps(xml_safe(body) if fmt == plistlib.FMT_XML else body, fmt=fmt)
    return _FRAME_LEN.pack(len(data)) + data


class PlistFrameDecoder:
    """Incremental decoder of length-prefixed plists; yields the decoded objects in order."""

    def __init__(self, max_frame: int = PLIST_MAX_FRAME) -> None:
        self._buf = bytearray()
        self.max_frame = max_frame

    def feed(self, data: bytes) -> list[Any]:
        self._buf += data
        out: list[Any] = []
        while len(self._buf) >= _FRAME_LEN.size:
            (length,) = _FRAME_LEN.unpack_from(self._buf)
            if length > self.max_frame:
                raise ProtocolError(f"plist frame of {length} bytes exceeds {self.max_frame}")
            end = _FRAME_LEN.size + length
            if len(self._buf) < end:
                break
            raw = bytes(self._buf[_FRAME_LEN.size : end])
            del self._buf[:end]
            try:
                out.append(plistlib.loads(raw))
            except Exception as exc:
                raise ProtocolError(f"frame of {length} bytes is not a plist: {exc}") from exc
        return out


def encode_syslog_record(line: str) -> bytes:
    """One syslog_relay record. A NUL inside the text would end the record early, so it is dropped."""
    return line.replace("\x00", "").encode("utf-8", errors="replace") + b"\n\x00"


class SyslogDecoder:
    """Client-side splitter of the relay stream, as pymobiledevice3's ``SyslogService.watch`` does."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[str]:
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n\x00")
        return [line.decode("utf-8", errors="replace") for line in lines if line]

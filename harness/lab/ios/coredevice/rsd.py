"""RemoteServiceDiscovery on the tunnel address: HTTP/2 carrying RemoteXPC, answering the peer handshake.

What the host does (``pmd3:remote/remotexpc.py``: ``RemoteXPCConnection._do_handshake`` and
``send_device_handshake``; ``remote/remote_service_discovery.py``: ``connect``): the HTTP/2 preface,
SETTINGS, a connection WINDOW_UPDATE, HEADERS on streams 1 (root) and 3 (reply), empty XPC frames to
open them, then a ``Handshake`` dictionary on stream 1. It waits for the phone's SETTINGS, acknowledges
them, and reads DATA frames until one holds a non-empty dictionary: the phone's own ``Handshake``
(``peer_info``), whose ``Properties`` name the device and whose ``Services`` give each service's port
on the tunnel address (``get_service_port`` reads ``int(entry["Port"])``).

The HTTP/2 framing here is RFC 9113 §4.1 (9-byte frame header) with only the frame types this exchange
uses; a frame type the phone does not expect is ignored, as RFC 9113 §4.1 requires for unknown types.
"""

from __future__ import annotations

import logging
import struct
import uuid
from collections.abc import Mapping
from typing import Any

from harness.lab.ios.coredevice.xpc import UInt64, XpcError, decode_message, encode_message
from harness.lab.ios.link import Link

__all__ = ["PREFACE", "RsdSession", "frame", "peer_info", "serve_rsd"]

log = logging.getLogger("harness.lab.ios.coredevice")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8
FLAG_ACK = 0x1
MAX_FRAME = 16384  # SETTINGS_MAX_FRAME_SIZE default; the host never raises it (RFC 9113 §6.5.2)
SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_INITIAL_WINDOW_SIZE = 0x3, 0x4
ROOT_CHANNEL = 1
MESSAGING_PROTOCOL_VERSION = 7  # pmd3:remotexpc.py MESSAGING_PROTOCOL_VERSION, what remoted speaks
HEADER = struct.Struct("!BHBBI")  # length as 1 + 2 bytes (24 bits), type, flags, stream id


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(len(payload) >> 16, len(payload) & 0xFFFF, kind, flags, stream & 0x7FFFFFFF) + payload


def _settings(values: Mapping[int, int]) -> bytes:
    return frame(SETTINGS, 0, 0, b"".join(struct.pack("!HI", k, v) for k, v in values.items()))


class RsdSession:
    """One RSD connection: bytes from the host in, bytes to send back out; no I/O."""

    def __init__(self, peer_info: dict[str, Any]) -> None:
        self._peer_info = peer_info
        self._buf = bytearray()
        self._preface_seen = False
        self._streams: dict[int, bytearray] = {}
        self.host_handshake: dict[str, Any] | None = None
        self.closed = False

    def start(self) -> bytes:
        """What the phone sends first: its SETTINGS and a connection window update."""
        return (_settings({SETTINGS_MAX_CONCURRENT_STREAMS: 100, SETTINGS_INITIAL_WINDOW_SIZE: 1048576})
                + frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 983041)))

    def feed(self, data: bytes) -> bytes:
        """The phone's answer to ``data``; raises ValueError on a stream that is not RemoteXPC over HTTP/2."""
        self._buf += data
        if not self._preface_seen:
            if len(self._buf) < len(PREFACE):
                return b""
            if bytes(self._buf[:len(PREFACE)]) != PREFACE:
                raise ValueError("the host did not open with the HTTP/2 preface")
            del self._buf[:len(PREFACE)]
            self._preface_seen = True
        out = bytearray()
        while len(self._buf) >= HEADER.size:
            hi, lo, kind, flags, stream = HEADER.unpack_from(self._buf)
            size = (hi << 16) | lo
            if len(self._buf) < HEADER.size + size:
                break
            payload = bytes(self._buf[HEADER.size:HEADER.size + size])
            del self._buf[:HEADER.size + size]
            out += self._frame(kind, flags, stream & 0x7FFFFFFF, payload)
        return bytes(out)

    def _frame(self, kind: int, flags: int, stream: int, payload: bytes) -> bytes:
        if kind == SETTINGS and not flags & FLAG_ACK:
            return frame(SETTINGS, FLAG_ACK, 0)
        if kind == PING and not flags & FLAG_ACK:
            return frame(PING, FLAG_ACK, 0, payload)
        if kind == GOAWAY:
            self.closed = True
        if kind == DATA:
            return self._data(stream, payload)
        return b""

    def _data(self, stream: int, payload: bytes) -> bytes:
        buf = self._streams.setdefault(stream, bytearray())
        buf += payload
        out = bytearray()
        while (decoded := decode_message(bytes(buf))) is not None:
            message, used = decoded
            del buf[:used]
            if message.body and message.body.get("MessageType") == "Handshake" and stream == ROOT_CHANNEL:
                self.host_handshake = message.body
                out += self._reply(encode_message(self._peer_info, message_id=message.message_id))
        return bytes(out)

    @staticmethod
    def _reply(message: bytes) -> bytes:
        return b"".join(frame(DATA, 0, ROOT_CHANNEL, message[i:i + MAX_FRAME])
                        for i in range(0, len(message), MAX_FRAME))


def peer_info(properties: dict[str, Any], services: dict[str, dict[str, Any]], device_uuid: uuid.UUID,
              ) -> dict[str, Any]:
    """The phone's handshake dictionary, in the shape ``RemoteServiceDiscoveryService.connect`` reads."""
    return {"MessageType": "Handshake", "MessagingProtocolVersion": UInt64(MESSAGING_PROTOCOL_VERSION),
            "Properties": properties, "Services": services, "UUID": device_uuid}


async def serve_rsd(info: dict[str, Any], link: Link, name: str = "") -> None:
    """Answer one RSD connection until the host hangs up or says GOAWAY."""
    session = RsdSession(info)
    link.write(session.start())
    try:
        while not session.closed and (data := await link.read()):
            reply = session.feed(data)
            if reply:
                link.write(reply)
                await link.drain()
    except (ValueError, XpcError) as exc:
        log.warning("[%s] RSD: dropping connection: %s", name, exc)
    finally:
        link.close()


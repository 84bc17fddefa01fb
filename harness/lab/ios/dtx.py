"""DTX, the Instruments wire protocol, as a pure codec: bytes in, messages out. No sockets here.

Layout (``pmd3:dtx/structs.py``, ``pmd3:dtx/DEVELOPMENT.md``, checked there against frida-core ``dtx.vala``):

- **Fragment header**, 32 bytes little-endian: ``magic u32 = 0x1F3D5B79, header_size u32, index u16,
  count u16, data_size u32, identifier u32, conversation_index u32, channel_code i32, flags u32``
  (flag bit 0 = the sender expects a reply). A message that fits in one fragment is ``index 0, count 1``
  with the message as its body. A longer one is split: fragment 0 is a header alone whose ``data_size``
  is the whole message's size, then fragments ``1 … count-1`` carry the bytes in order
  (``pmd3:dtx/fragmenter.py``; ``MAX_FRAGMENT_SIZE`` 128 KiB).
- **Message**: a 16-byte header ``type u32, aux_size u32, total_size u64`` (``total = aux + payload``;
  the low byte of ``type`` is the message type, ``DTXMessage serializedFormApply:`` writes the same three
  fields), then the auxiliary arguments, then the payload (an NSKeyedArchiver archive, ``nskeyed.py``).
- **Auxiliary arguments**: a primitive dictionary ``u32 0x1F0, u32 0, u64 body_length`` followed by
  (key, value) primitives; positional arguments have NULL keys. Primitives are a ``u32`` type tag and a
  value: 1 string, 2 buffer (an archive), 3 int32, 6 int64, 9 double, 10 null (``pmd3:dtx/primitives.py``).
- **Channels**: replies keep the request's identifier and channel code with ``conversation_index + 1``;
  messages the phone starts on a channel the client opened carry the *negated* code (``_reader.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "DTX_MAGIC",
    "I32",
    "I64",
    "MAX_FRAGMENT_BODY",
    "AuxValue",
    "DtxDecoder",
    "DtxMessage",
    "DtxProtocolError",
    "MessageType",
    "decode_aux",
    "encode_aux",
    "encode_message",
]

DTX_MAGIC = 0x1F3D5B79
FRAGMENT_HEADER = struct.Struct("<IIHHIIIiI")
PAYLOAD_HEADER = struct.Struct("<IIQ")
MAX_FRAGMENT_BODY = 128 * 1024  # pmd3:dtx/structs.py:MAX_FRAGMENT_SIZE, what real peers split at
MAX_MESSAGE = 16 * 1024 * 1024  # the lab's ceiling for one assembled message
MAX_PARTIAL = 16  # messages being reassembled at once
EXPECTS_REPLY = 1
_DICT_TAG = 0x1F0
_DICT_HEADER = struct.Struct("<IIQ")
_TAG = struct.Struct("<I")


class MessageType(IntEnum):
    """``pmd3:dtx/structs.py:DTXMessageType``."""

    OK = 0
    DATA = 1
    DISPATCH = 2
    OBJECT = 3
    ERROR = 4
    BARRIER = 5
    PRIMITIVE = 6
    COMPRESSED = 7


class DtxProtocolError(Exception):
    """The peer sent bytes that do not follow DTX framing; the connection cannot continue."""


@dataclass(frozen=True, slots=True)
class I32:
    """An int32 primitive (type 3), e.g. the channel code of ``_requestChannelWithCode:identifier:``."""

    value: int


@dataclass(frozen=True, slots=True)
class I64:
    """An int64 primitive (type 6)."""

    value: int


# bytes = a buffer primitive (an archive, or empty for nil); str = a string primitive; None = NULL.
AuxValue = bytes | str | I32 | I64 | float | None


@dataclass(frozen=True, slots=True)
class DtxMessage:
    type: MessageType
    identifier: int
    conversation_index: int
    channel_code: int  # as on the wire
    expects_reply: bool = False
    aux: bytes = b""  # the primitive dictionary, raw
    payload: bytes = b""  # the archive, raw


# -- auxiliary primitive dictionary ---------------------------------------------------------------
def encode_aux(args: Sequence[AuxValue]) -> bytes:
    """Positional arguments as a primitive dictionary with NULL keys; no arguments → no bytes at all."""
    if not args:
        return b""
    body = bytearray()
    for arg in args:
        body += _TAG.pack(10)  # the NULL key of a positional argument
        body += _encode_primitive(arg)
    return _DICT_HEADER.pack(_DICT_TAG, 0, len(body)) + bytes(body)


def _encode_primitive(value: AuxValue) -> bytes:
    if value is None:
        return _TAG.pack(10)
    if isinstance(value, str):
        raw = value.encode()
        return struct.pack("<II", 1, len(raw)) + raw
    if isinstance(value, bytes):
        return struct.pack("<II", 2, len(value)) + value
    if isinstance(value, I32):
        return struct.pack("<Ii", 3, value.value)
    if isinstance(value, I64):
        return struct.pack("<Iq", 6, value.value)
    return struct.pack("<Id", 9, value)


def decode_aux(data: bytes) -> list[AuxValue]:
    """The positional arguments of a message: buffers stay ``bytes`` (the caller unarchives them),
    int32/int64 primitives come back as ``I32``/``I64``. Raises ``DtxProtocolError`` if malformed."""
    if not data:
        return []
    if len(data) < _DICT_HEADER.size:
        raise DtxProtocolError("auxiliary dictionary shorter than its header")
    tag, _flags, length = _DICT_HEADER.unpack_from(data)
    if tag & 0xFF != 0xF0:
        raise DtxProtocolError(f"auxiliary data is not a primitive dictionary (tag {tag:#x})")
    end = _DICT_HEADER.size + length
    if end > len(data):
        raise DtxProtocolError("auxiliary dictionary longer than the message")
    out: list[AuxValue] = []
    pos = _DICT_HEADER.size
    while pos < end:
        _key, pos = _decode_primitive(data, pos, end)
        value, pos = _decode_primitive(data, pos, end)
        out.append(value)
    return out


def _decode_primitive(data: bytes, pos: int, end: int) -> tuple[AuxValue, int]:
    if pos + 4 > end:
        raise DtxProtocolError("truncated primitive tag")
    (tag,) = _TAG.unpack_from(data, pos)
    pos += 4
    kind = tag & 0xFF
    if kind == 10:
        return None, pos
    fixed = {3: ("<i", 4), 6: ("<q", 8), 9: ("<d", 8)}
    if kind in fixed:
        fmt, size = fixed[kind]
        if pos + size > end:
            raise DtxProtocolError("truncated primitive value")
        (number,) = struct.unpack_from(fmt, data, pos)
        value: AuxValue = I32(number) if kind == 3 else I64(number) if kind == 6 else float(number)
        return value, pos + size
    if kind in (1, 2):
        if pos + 4 > end:
            raise DtxProtocolError("truncated primitive length")
        (length,) = _TAG.unpack_from(data, pos)
        raw = data[pos + 4 : pos + 4 + length]
        if len(raw) != length or pos + 4 + length > end:
            raise DtxProtocolError("primitive longer than the dictionary")
        return (raw.decode("utf-8", errors="replace") if kind == 1 else bytes(raw)), pos + 4 + length
    raise DtxProtocolError(f"unknown primitive type {tag:#x}")


# -- messages and fragments -----------------------------------------------------------------------
def encode_message(msg: DtxMessage) -> bytes:
    """The fragments of ``msg``, split as DTX peers split them."""
    body = PAYLOAD_HEADER.pack(int(msg.type), len(msg.aux), len(msg.aux) + len(msg.payload)) + msg.aux + msg.payload
    flags = EXPECTS_REPLY if msg.expects_reply else 0

    def header(index: int, count: int, size: int) -> bytes:
        return FRAGMENT_HEADER.pack(DTX_MAGIC, FRAGMENT_HEADER.size, index, count, size, msg.identifier,
                                    msg.conversation_index, msg.channel_code, flags)

    if len(body) <= MAX_FRAGMENT_BODY:
        return header(0, 1, len(body)) + body
    chunks = [body[i : i + MAX_FRAGMENT_BODY] for i in range(0, len(body), MAX_FRAGMENT_BODY)]
    out = [header(0, len(chunks) + 1, len(body))]
    out += [header(i, len(chunks) + 1, len(chunk)) + chunk for i, chunk in enumerate(chunks, start=1)]
    return b"".join(out)


@dataclass(slots=True)
class _Partial:
    first: tuple[int, int, int, int, int]  # identifier, conversation, channel, flags, count
    size: int
    data: bytearray
    received: int = 0


class DtxDecoder:
    """Incremental decoder: ``feed`` bytes, get whole messages. Raises ``DtxProtocolError`` on bad framing."""

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._buf = bytearray()
        self._partial: dict[int, _Partial] = {}
        self.max_message = max_message

    def feed(self, data: bytes) -> list[DtxMessage]:
        self._buf += data
        out: list[DtxMessage] = []
        while (fragment := self._next_fragment()) is not None:
            message = self._assemble(*fragment)
            if message is not None:
                out.append(message)
        return out

    def _next_fragment(self) -> tuple[tuple[int, ...], bytes] | None:
        if len(self._buf) < FRAGMENT_HEADER.size:
            return None
        fields = FRAGMENT_HEADER.unpack_from(self._buf)
        magic, header_size, index, count, data_size = fields[:5]
        if magic != DTX_MAGIC:
            raise DtxProtocolError(f"bad fragment magic {magic:#010x}")
        if header_size < FRAGMENT_HEADER.size or header_size > 4096:
            raise DtxProtocolError(f"bad fragment header size {header_size}")
        if index >= count:
            raise DtxProtocolError(f"fragment index {index} >= count {count}")
        if data_size == 0 or data_size > self.max_message:
            raise DtxProtocolError(f"fragment declares {data_size} bytes")
        body = 0 if index == 0 and count > 1 else data_size  # the first of several carries no body
        if body > MAX_FRAGMENT_BODY and count > 1:
            raise DtxProtocolError(f"fragment body of {body} bytes exceeds {MAX_FRAGMENT_BODY}")
        if len(self._buf) < header_size + body:
            return None
        payload = bytes(self._buf[header_size : header_size + body])
        del self._buf[: header_size + body]
        return fields, payload

    def _assemble(self, fields: tuple[int, ...], payload: bytes) -> DtxMessage | None:
        _magic, _hsize, index, count, data_size, ident, conv, channel, flags = fields
        if count == 1:
            return _parse_message(payload, ident, conv, channel, flags)
        if index == 0:
            if ident in self._partial or len(self._partial) >= MAX_PARTIAL:
                raise DtxProtocolError(f"cannot start reassembling message {ident}")
            self._partial[ident] = _Partial((ident, conv, channel, flags, count), data_size, bytearray())
            return None
        partial = self._partial.get(ident)
        if partial is None:
            raise DtxProtocolError(f"fragment {index} of unknown message {ident}")
        partial.data += payload
        partial.received += 1
        if len(partial.data) > partial.size:
            raise DtxProtocolError(f"message {ident} longer than declared")
        if partial.received < count - 1:
            return None
        del self._partial[ident]
        if len(partial.data) != partial.size:
            raise DtxProtocolError(f"message {ident} shorter than declared")
        ident, conv, channel, flags, _count = partial.first
        return _parse_message(bytes(partial.data), ident, conv, channel, flags)


def _parse_message(body: bytes, ident: int, conv: int, channel: int, flags: int) -> DtxMessage:
    if len(body) < PAYLOAD_HEADER.size:
        raise DtxProtocolError(f"message {ident} shorter than its payload header")
    raw_type, aux_size, total = PAYLOAD_HEADER.unpack_from(body)
    if total != len(body) - PAYLOAD_HEADER.size or aux_size > total:
        raise DtxProtocolError(f"message {ident} declares inconsistent sizes")
    try:
        kind = MessageType(raw_type & 0xFF)
    except ValueError as exc:
        raise DtxProtocolError(f"message {ident} has unknown type {raw_type:#x}") from exc
    aux_end = PAYLOAD_HEADER.size + aux_size
    return DtxMessage(kind, ident, conv, channel, bool(flags & EXPECTS_REPLY), body[PAYLOAD_HEADER.size : aux_end],
                      body[aux_end:])

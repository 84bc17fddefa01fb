"""RemoteXPC messages, the payload of RSD's HTTP/2 DATA frames: pure encode and decode.

Layout as pymobiledevice3 reads and writes it (``pmd3:remote/xpc_message.py``): a wrapper header
(magic ``0x29b00b92``, flags, payload size, message id; little-endian) and, when data is present, a
payload header (magic ``0x42133742``, version 5) and one XPC object: a 32-bit type, then the body.
Strings and data carry a 32-bit length and are padded to 4 bytes; dictionary keys are NUL-terminated
and padded to 4; arrays and dictionaries carry their byte length and entry count.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["Flags", "Int64", "UInt64", "XpcError", "XpcMessage", "decode_message", "encode_message"]

WRAPPER_MAGIC = 0x29B00B92
PAYLOAD_MAGIC = 0x42133742
PAYLOAD_VERSION = 5
WRAPPER = struct.Struct("<IIQQ")


class Flags:
    ALWAYS_SET = 0x00000001
    DATA_PRESENT = 0x00000100
    WANTING_REPLY = 0x00010000
    REPLY = 0x00020000
    INIT_HANDSHAKE = 0x00400000


class T:
    NULL, BOOL, INT64, UINT64, DOUBLE = 0x1000, 0x2000, 0x3000, 0x4000, 0x5000
    DATE, DATA, STRING, UUID, ARRAY, DICTIONARY = 0x7000, 0x8000, 0x9000, 0xA000, 0xE000, 0xF000


class XpcError(ValueError):
    """Bytes that are not a RemoteXPC message."""


class Int64(int):
    """An XPC int64 (a plain ``int`` is encoded as uint64)."""


class UInt64(int):
    """An XPC uint64."""


@dataclass(frozen=True, slots=True)
class XpcMessage:
    flags: int
    message_id: int
    body: dict[str, Any] | None  # None: a frame with no payload


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _encode(value: Any) -> bytes:
    if value is None:
        return struct.pack("<I", T.NULL)
    if isinstance(value, bool):
        return struct.pack("<II", T.BOOL, int(value))
    if isinstance(value, Int64):
        return struct.pack("<Iq", T.INT64, value)
    if isinstance(value, int):
        return struct.pack("<IQ", T.UINT64, value)
    if isinstance(value, float):
        return struct.pack("<Id", T.DOUBLE, value)
    if isinstance(value, str):
        raw = value.encode() + b"\0"
        return struct.pack("<II", T.STRING, len(raw)) + _pad(raw)
    if isinstance(value, bytes):
        return struct.pack("<II", T.DATA, len(value)) + _pad(value)
    if isinstance(value, uuid.UUID):
        return struct.pack("<I", T.UUID) + value.bytes
    if isinstance(value, list):
        body = struct.pack("<I", len(value)) + b"".join(_encode(v) for v in value)
        return struct.pack("<II", T.ARRAY, len(body)) + body
    if isinstance(value, dict):
        entries = b"".join(_pad(str(k).encode() + b"\0") + _encode(v) for k, v in value.items())
        body = struct.pack("<I", len(value)) + entries
        return struct.pack("<II", T.DICTIONARY, len(body)) + body
    raise TypeError(f"no XPC encoding for {type(value).__name__}")


def encode_message(body: dict[str, Any] | None, *, flags: int = Flags.ALWAYS_SET, message_id: int = 0) -> bytes:
    payload = b""
    if body is not None:
        payload = struct.pack("<II", PAYLOAD_MAGIC, PAYLOAD_VERSION) + _encode(body)
        if body:
            flags |= Flags.DATA_PRESENT
    return WRAPPER.pack(WRAPPER_MAGIC, flags, len(payload), message_id) + payload


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise XpcError("truncated XPC object")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise XpcError("unterminated XPC key")
        raw = self.take(end + 1 - self.pos)
        self.take(-len(raw) % 4)
        return raw[:-1].decode()


def _decode(r: _Reader, depth: int = 0) -> Any:
    if depth > 32:
        raise XpcError("XPC object nested too deeply")
    kind = r.u32()
    scalars = {T.BOOL: "<I", T.INT64: "<q", T.UINT64: "<Q", T.DOUBLE: "<d", T.DATE: "<q"}
    if kind == T.NULL:
        return None
    if kind in scalars:
        fmt = scalars[kind]
        value = struct.unpack(fmt, r.take(struct.calcsize(fmt)))[0]
        return bool(value) if kind == T.BOOL else Int64(value) if kind == T.INT64 else value
    if kind in (T.STRING, T.DATA):
        size = r.u32()
        raw = r.take(size)
        r.take(-size % 4)
        return raw.rstrip(b"\0").decode() if kind == T.STRING else raw
    if kind == T.UUID:
        return uuid.UUID(bytes=r.take(16))
    if kind == T.ARRAY:
        r.u32()
        return [_decode(r, depth + 1) for _ in range(r.u32())]
    if kind == T.DICTIONARY:
        r.u32()
        count = r.u32()
        result: dict[str, Any] = {}
        for _ in range(count):
            key = r.cstring()
            result[key] = _decode(r, depth + 1)
        return result
    raise XpcError(f"unsupported XPC type 0x{kind:x}")


def decode_message(data: bytes) -> tuple[XpcMessage, int] | None:
    """The first message in ``data`` and its length; ``None`` while it is incomplete."""
    if len(data) < WRAPPER.size:
        return None
    magic, flags, size, message_id = WRAPPER.unpack_from(data)
    if magic != WRAPPER_MAGIC:
        raise XpcError(f"bad RemoteXPC magic 0x{magic:08x}")
    end = WRAPPER.size + size
    if len(data) < end:
        return None
    if not size:
        return XpcMessage(flags, message_id, None), end
    r = _Reader(data[WRAPPER.size:end])
    if r.u32() != PAYLOAD_MAGIC or r.u32() != PAYLOAD_VERSION:
        raise XpcError("bad XPC payload header")
    body = _decode(r)
    if not isinstance(body, dict):
        raise XpcError("the top-level XPC object is not a dictionary")
    return XpcMessage(flags, message_id, body), end

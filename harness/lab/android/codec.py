"""The adb transport codec: bytes in, messages out. No sockets here.

A message is a 24-byte little-endian header (command, arg0, arg1, data length, data checksum,
magic = command ^ 0xffffffff) followed by the payload (system/core/adb/protocol.txt).
Since protocol version 0x01000001 the checksum may be 0 and is not verified by the peer.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import NamedTuple

__all__ = [
    "A_VERSION",
    "A_VERSION_SKIP_CHECKSUM",
    "HEADER",
    "INITIAL_DELAYED_ACK_BYTES",
    "MAX_PAYLOAD",
    "Command",
    "Decoder",
    "Message",
    "ProtocolError",
    "encode",
]

A_VERSION = 0x01000001
A_VERSION_SKIP_CHECKSUM = 0x01000001
MAX_PAYLOAD = 1024 * 1024
INITIAL_DELAYED_ACK_BYTES = 32 * 1024 * 1024  # the window a delayed_ack OPEN / its OKAY grants (adb.h)
HEADER = struct.Struct("<6I")


class Command(IntEnum):
    SYNC = 0x434E5953
    CNXN = 0x4E584E43
    OPEN = 0x4E45504F
    OKAY = 0x59414B4F
    CLSE = 0x45534C43
    WRTE = 0x45545257
    AUTH = 0x48545541
    STLS = 0x534C5453


_COMMANDS = {int(command): command for command in Command}


class ProtocolError(Exception):
    """The peer sent bytes that are not an adb message."""


class Message(NamedTuple):  # a tuple: built for every message, so cheaper than a frozen dataclass
    command: Command
    arg0: int
    arg1: int
    data: bytes = b""

    def __repr__(self) -> str:
        return f"Message({self.command.name}, {self.arg0}, {self.arg1}, {self.data[:40]!r})"


def checksum(data: bytes) -> int:
    return sum(data) & 0xFFFFFFFF


def encode(msg: Message, *, with_checksum: bool = False) -> bytes:
    command, arg0, arg1, data = msg
    check = checksum(data) if with_checksum else 0
    return HEADER.pack(command, arg0 & 0xFFFFFFFF, arg1 & 0xFFFFFFFF, len(data), check, command ^ 0xFFFFFFFF) + data


class Decoder:
    """Incremental decoder: feed it any slice of the byte stream, get whole messages back."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._buf = bytearray()
        self.max_payload = max_payload

    def feed(self, data: bytes) -> list[Message]:
        self._buf += data
        out: list[Message] = []
        while len(self._buf) >= HEADER.size:
            cmd, arg0, arg1, length, _check, magic = HEADER.unpack_from(self._buf)
            if cmd ^ 0xFFFFFFFF != magic:
                raise ProtocolError(f"bad magic {magic:#010x} for command {cmd:#010x}")
            command = _COMMANDS.get(cmd)
            if command is None:
                raise ProtocolError(f"unknown command {cmd:#010x}")
            if length > self.max_payload:
                raise ProtocolError(f"payload of {length} bytes exceeds the maximum {self.max_payload}")
            end = HEADER.size + length
            if len(self._buf) < end:
                break
            out.append(Message(command, arg0, arg1, bytes(self._buf[HEADER.size : end])))
            del self._buf[:end]
        return out

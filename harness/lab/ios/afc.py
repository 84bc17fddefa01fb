"""AFC (Apple File Conduit), the file protocol house_arrest switches to: a pure codec and request handler.

Framing (``pmd3:services/afc.py:AfcHeader``; ``limd@1.3.0:src/afc.h:AFCPacket``): a 40-byte header, magic
``CFA6LPAA`` then ``entire_length, this_length, packet_num, operation`` as little-endian u64;
``entire_length`` counts the header and everything after it, ``this_length`` the header plus the part of
the payload that is the operation's fixed header (the rest is bulk data, e.g. the bytes of a WRITE).
Replies echo ``packet_num`` (pmd3 matches replies to requests by it) and are ``STATUS`` (a u64
``AfcError``) or ``DATA``, or an operation's own result (``FILE_OPEN_RES``, ``FILE_TELL_RES``).

``AfcSession`` answers requests over an ``AfcFileSystem``; it never touches a socket. A path above the
root or outside what was vended is PERM_DENIED, a missing one OBJECT_NOT_FOUND (ENOENT), a request too
short for its operation's header OP_HEADER_INVALID, an opcode AFC does not serve UNKNOWN_PACKET_TYPE,
READ_DIR of a file READ_ERROR (what pymobiledevice3's device suite expects, ``tests/services/test_afc.py:
test_listdir_file``). A file system that also is an ``AfcWriter`` (``com.apple.afc``'s media directory)
takes writes: FILE_OPEN in a writing mode, WRITE, FILE_SET_SIZE, TRUNCATE, MAKE_DIR (with its parents,
OBJECT_EXISTS through a file), REMOVE_PATH (DIR_NOT_EMPTY for a non-empty directory) and RENAME_PATH.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

__all__ = [
    "AFC_HEADER",
    "AFC_MAGIC",
    "AfcDecoder",
    "AfcError",
    "AfcFileSystem",
    "AfcNode",
    "AfcOpcode",
    "AfcPacket",
    "AfcProtocolError",
    "AfcSession",
    "AfcWriter",
    "encode_kv",
    "encode_packet",
]

AFC_MAGIC = b"CFA6LPAA"
AFC_HEADER = struct.Struct("<8sQQQQ")
MAX_PACKET = 8 * 1024 * 1024  # the lab's ceiling for one request
MAX_READ = 4 * 1024 * 1024  # pmd3 MAXIMUM_READ_SIZE: a client never asks for more per READ
_U64 = struct.Struct("<Q")


class AfcOpcode(IntEnum):
    """``pmd3:services/afc.py:AfcOpcode`` (``limd afc.h``)."""

    STATUS = 0x01
    DATA = 0x02
    READ_DIR = 0x03
    READ_FILE = 0x04
    WRITE_FILE = 0x05
    WRITE_PART = 0x06
    TRUNCATE = 0x07
    REMOVE_PATH = 0x08
    MAKE_DIR = 0x09
    GET_FILE_INFO = 0x0A
    GET_DEVINFO = 0x0B
    WRITE_FILE_ATOM = 0x0C
    FILE_OPEN = 0x0D
    FILE_OPEN_RES = 0x0E
    READ = 0x0F
    WRITE = 0x10
    FILE_SEEK = 0x11
    FILE_TELL = 0x12
    FILE_TELL_RES = 0x13
    FILE_CLOSE = 0x14
    FILE_SET_SIZE = 0x15
    GET_CON_INFO = 0x16
    SET_CON_OPTIONS = 0x17
    RENAME_PATH = 0x18
    SET_FS_BS = 0x19
    SET_SOCKET_BS = 0x1A
    FILE_LOCK = 0x1B
    MAKE_LINK = 0x1C
    SET_FILE_TIME = 0x1E


class AfcError(IntEnum):
    """``pmd3:services/afc.py:AfcError`` (``limd afc.h:afc_error_t``)."""

    SUCCESS = 0
    UNKNOWN_ERROR = 1
    OP_HEADER_INVALID = 2
    NO_RESOURCES = 3
    READ_ERROR = 4
    WRITE_ERROR = 5
    UNKNOWN_PACKET_TYPE = 6
    INVALID_ARG = 7
    OBJECT_NOT_FOUND = 8
    OBJECT_IS_DIR = 9
    PERM_DENIED = 10
    SERVICE_NOT_CONNECTED = 11
    OP_TIMEOUT = 12
    TOO_MUCH_DATA = 13
    END_OF_DATA = 14
    OP_NOT_SUPPORTED = 15
    OBJECT_EXISTS = 16
    OBJECT_BUSY = 17
    DIR_NOT_EMPTY = 33


# Operations that change the file system. The lab's containers are read through the OS model, which
# offers no writes (contracts.IOSSystem.container), so without an ``AfcWriter`` these answer
# OP_NOT_SUPPORTED: a limit of the lab, said as such, rather than a sandbox refusal (PERM_DENIED) a real
# phone would not give. The whole-file, link and time operations no client of the lab sends
# (pymobiledevice3 writes through FILE_OPEN + WRITE) stay OP_NOT_SUPPORTED even with a writer.
_WRITES = frozenset({AfcOpcode.WRITE_FILE, AfcOpcode.WRITE_PART, AfcOpcode.TRUNCATE, AfcOpcode.REMOVE_PATH,
                     AfcOpcode.MAKE_DIR, AfcOpcode.WRITE_FILE_ATOM, AfcOpcode.WRITE, AfcOpcode.FILE_SET_SIZE,
                     AfcOpcode.RENAME_PATH, AfcOpcode.MAKE_LINK, AfcOpcode.SET_FILE_TIME})
_READ_ONLY = 1  # AfcFopenMode.RDONLY
# pmd3:services/afc.py:AfcFopenMode: 2 r+, 3 w, 4 w+, 5 a, 6 a+ (all create the file)
_READABLE_MODES = frozenset({1, 2, 4, 6})
_TRUNCATING_MODES = frozenset({3, 4})
_APPENDING_MODES = frozenset({5, 6})


class AfcProtocolError(Exception):
    """Bytes that are not AFC framing; the connection cannot continue."""


@dataclass(frozen=True, slots=True)
class AfcPacket:
    packet_num: int
    operation: int
    payload: bytes = b""


def encode_packet(packet_num: int, operation: int, payload: bytes = b"") -> bytes:
    """A reply; its whole payload counts as the operation header (``this_length == entire_length``)."""
    length = AFC_HEADER.size + len(payload)
    return AFC_HEADER.pack(AFC_MAGIC, length, length, packet_num, operation) + payload


def encode_kv(pairs: dict[str, str]) -> bytes:
    """``key\\0value\\0…``, the body of GET_FILE_INFO and GET_DEVINFO (``pmd3 list_to_dict``)."""
    return b"".join(f"{key}\0{value}\0".encode() for key, value in pairs.items())


class AfcDecoder:
    """Incremental request decoder. Raises ``AfcProtocolError`` on a bad magic or impossible lengths."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[AfcPacket]:
        self._buf += data
        out: list[AfcPacket] = []
        while len(self._buf) >= AFC_HEADER.size:
            magic, entire, this, num, op = AFC_HEADER.unpack_from(self._buf)
            if magic != AFC_MAGIC:
                raise AfcProtocolError(f"bad AFC magic {bytes(magic)!r}")
            if entire < AFC_HEADER.size or entire > MAX_PACKET or not AFC_HEADER.size <= this <= entire:
                raise AfcProtocolError(f"impossible AFC lengths entire={entire} this={this}")
            if len(self._buf) < entire:
                break
            out.append(AfcPacket(num, op, bytes(self._buf[AFC_HEADER.size : entire])))
            del self._buf[:entire]
        return out


@dataclass(frozen=True, slots=True)
class AfcNode:
    is_dir: bool
    size: int
    mtime_ns: int
    children: int = 0  # entries in a directory


class AfcFileSystem(Protocol):
    """What an AFC server serves; paths are normalised and relative to its root ("" is the root)."""

    def lookup(self, path: str) -> AfcNode | None: ...

    def listdir(self, path: str) -> list[str]: ...

    def read(self, path: str) -> bytes: ...

    def allowed(self, path: str) -> bool:
        """False outside the part of the tree the client was vended (e.g. VendDocuments)."""
        ...

    def device_info(self) -> dict[str, str]: ...


class AfcWriter(Protocol):
    """A file system AFC may change; paths are normalised and already allowed. Each returns SUCCESS or the
    AFC error the phone answers (the parent missing or a file: OBJECT_NOT_FOUND)."""

    def store(self, path: str, data: bytes) -> AfcError:
        """Create or replace the file at ``path``."""
        ...

    def make_dirs(self, path: str) -> AfcError: ...

    def remove(self, path: str) -> AfcError: ...

    def rename(self, source: str, target: str) -> AfcError: ...


def normalise(path: str) -> str | None:
    """``/Documents/./a/../b`` → ``Documents/b``; None if it climbs above the root."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _cstring(payload: bytes, offset: int = 0) -> str:
    end = payload.find(b"\0", offset)
    return payload[offset : end if end >= 0 else len(payload)].decode("utf-8", errors="replace")


@dataclass(slots=True)
class _Handle:
    data: bytearray
    offset: int = 0
    path: str = ""
    mode: int = _READ_ONLY


class AfcSession:
    """One AFC connection's state (open handles) and its replies. ``handle(packet) -> reply bytes``.
    With a ``writer`` (usually ``fs`` itself) the write operations change the file system."""

    def __init__(self, fs: AfcFileSystem, writer: AfcWriter | None = None) -> None:
        self.fs = fs
        self.writer = writer
        self.handles: dict[int, _Handle] = {}
        self._next_handle = 1
        self._ops: dict[int, Callable[[bytes], tuple[int, bytes]]] = {
            AfcOpcode.READ_DIR: self._read_dir, AfcOpcode.GET_FILE_INFO: self._file_info,
            AfcOpcode.GET_DEVINFO: self._dev_info, AfcOpcode.FILE_OPEN: self._open, AfcOpcode.READ: self._read,
            AfcOpcode.FILE_SEEK: self._seek, AfcOpcode.FILE_TELL: self._tell, AfcOpcode.FILE_CLOSE: self._close,
            AfcOpcode.FILE_LOCK: self._lock, AfcOpcode.SET_FS_BS: self._ok, AfcOpcode.SET_SOCKET_BS: self._ok,
            AfcOpcode.SET_CON_OPTIONS: self._ok,
        }
        if writer is not None:
            self._ops.update({
                AfcOpcode.WRITE: self._write, AfcOpcode.FILE_SET_SIZE: self._set_size,
                AfcOpcode.TRUNCATE: self._truncate, AfcOpcode.MAKE_DIR: self._make_dir,
                AfcOpcode.REMOVE_PATH: self._remove, AfcOpcode.RENAME_PATH: self._rename,
            })

    def handle(self, packet: AfcPacket) -> bytes:
        if packet.operation in _WRITES and packet.operation not in self._ops:
            return self._status(packet, AfcError.OP_NOT_SUPPORTED)
        op = self._ops.get(packet.operation)
        if op is None:  # a reply opcode sent as a request, or a number AFC does not know
            return self._status(packet, AfcError.UNKNOWN_PACKET_TYPE)
        try:
            opcode, body = op(packet.payload)
        except (struct.error, IndexError):
            return self._status(packet, AfcError.OP_HEADER_INVALID)
        return encode_packet(packet.packet_num, opcode, body)

    @staticmethod
    def _status(packet: AfcPacket, error: AfcError) -> bytes:
        return encode_packet(packet.packet_num, AfcOpcode.STATUS, _U64.pack(error))

    # -- each returns (reply opcode, reply body) --------------------------------------------------
    @staticmethod
    def _error(error: AfcError) -> tuple[int, bytes]:
        return AfcOpcode.STATUS, _U64.pack(error)

    def _ok(self, _payload: bytes) -> tuple[int, bytes]:
        return self._error(AfcError.SUCCESS)

    def _path(self, raw: str) -> tuple[str | None, AfcError]:
        path = normalise(raw)
        if path is None or not self.fs.allowed(path):
            return None, AfcError.PERM_DENIED
        return path, AfcError.SUCCESS

    def _read_dir(self, payload: bytes) -> tuple[int, bytes]:
        path, err = self._path(_cstring(payload))
        if path is None:
            return self._error(err)
        node = self.fs.lookup(path)
        if node is None:
            return self._error(AfcError.OBJECT_NOT_FOUND)
        if not node.is_dir:
            return self._error(AfcError.READ_ERROR)
        names = [".", "..", *self.fs.listdir(path)]  # pmd3 listdir drops the first two entries
        return AfcOpcode.DATA, b"".join(name.encode() + b"\0" for name in names)

    def _file_info(self, payload: bytes) -> tuple[int, bytes]:
        path, err = self._path(_cstring(payload))
        if path is None:
            return self._error(err)
        node = self.fs.lookup(path)
        if node is None:
            return self._error(AfcError.OBJECT_NOT_FOUND)
        size = 64 + 32 * node.children if node.is_dir else node.size
        info = {"st_size": str(size), "st_blocks": str(-(-node.size // 4096) * 8),
                "st_nlink": str(2 + node.children if node.is_dir else 1),
                "st_ifmt": "S_IFDIR" if node.is_dir else "S_IFREG",
                "st_mtime": str(node.mtime_ns), "st_birthtime": str(node.mtime_ns)}
        return AfcOpcode.DATA, encode_kv(info)

    def _dev_info(self, _payload: bytes) -> tuple[int, bytes]:
        return AfcOpcode.DATA, encode_kv(self.fs.device_info())

    def _open(self, payload: bytes) -> tuple[int, bytes]:
        (mode,) = _U64.unpack_from(payload)
        path, err = self._path(_cstring(payload, 8))
        if path is None:
            return self._error(err)
        if mode != _READ_ONLY and self.writer is None:
            return self._error(AfcError.OP_NOT_SUPPORTED)  # a write mode: see _WRITES
        if not 1 <= mode <= 6:
            return self._error(AfcError.INVALID_ARG)
        node = self.fs.lookup(path)
        if node is not None and node.is_dir:
            return self._error(AfcError.OBJECT_IS_DIR)
        if node is None and (mode == _READ_ONLY or self.writer is None):
            return self._error(AfcError.OBJECT_NOT_FOUND)
        data = bytearray() if node is None or mode in _TRUNCATING_MODES else bytearray(self.fs.read(path))
        if mode != _READ_ONLY and (node is None or mode in _TRUNCATING_MODES):
            stored = self._store(path, data)
            if stored != AfcError.SUCCESS:
                return self._error(stored)
        handle, self._next_handle = self._next_handle, self._next_handle + 1
        self.handles[handle] = _Handle(data, 0, path, mode)
        return AfcOpcode.FILE_OPEN_RES, _U64.pack(handle)

    def _store(self, path: str, data: bytearray) -> AfcError:
        return self.writer.store(path, bytes(data)) if self.writer is not None else AfcError.OP_NOT_SUPPORTED

    def _read(self, payload: bytes) -> tuple[int, bytes]:
        handle, size = struct.unpack_from("<QQ", payload)
        fd = self.handles.get(handle)
        if fd is None:
            return self._error(AfcError.INVALID_ARG)
        if fd.mode not in _READABLE_MODES:
            return self._error(AfcError.PERM_DENIED)  # read(2) on an O_WRONLY descriptor: EBADF
        chunk = bytes(fd.data[fd.offset : fd.offset + min(size, MAX_READ)])
        fd.offset += len(chunk)
        return AfcOpcode.DATA, chunk

    def _write(self, payload: bytes) -> tuple[int, bytes]:
        (handle,) = _U64.unpack_from(payload)
        fd = self.handles.get(handle)
        if fd is None:
            return self._error(AfcError.INVALID_ARG)
        if fd.mode == _READ_ONLY:
            return self._error(AfcError.PERM_DENIED)
        chunk = payload[_U64.size :]
        if fd.mode in _APPENDING_MODES:
            fd.offset = len(fd.data)
        end = fd.offset + len(chunk)
        if fd.offset > len(fd.data):
            fd.data.extend(bytes(fd.offset - len(fd.data)))
        fd.data[fd.offset : end] = chunk
        fd.offset = end
        return self._error(self._store(fd.path, fd.data))

    def _set_size(self, payload: bytes) -> tuple[int, bytes]:
        handle, size = struct.unpack_from("<QQ", payload)
        fd = self.handles.get(handle)
        if fd is None:
            return self._error(AfcError.INVALID_ARG)
        if fd.mode == _READ_ONLY:
            return self._error(AfcError.PERM_DENIED)
        fd.data = fd.data[:size] + bytearray(max(0, size - len(fd.data)))
        return self._error(self._store(fd.path, fd.data))

    def _truncate(self, payload: bytes) -> tuple[int, bytes]:
        (size,) = _U64.unpack_from(payload)
        path, err = self._path(_cstring(payload, 8))
        if path is None:
            return self._error(err)
        node = self.fs.lookup(path)
        if node is None or node.is_dir:
            return self._error(AfcError.OBJECT_NOT_FOUND if node is None else AfcError.OBJECT_IS_DIR)
        data = bytearray(self.fs.read(path)[:size])
        return self._error(self._store(path, data + bytearray(max(0, size - len(data)))))

    def _make_dir(self, payload: bytes) -> tuple[int, bytes]:
        path, err = self._path(_cstring(payload))
        if path is None or self.writer is None:
            return self._error(err)
        return self._error(self.writer.make_dirs(path))

    def _remove(self, payload: bytes) -> tuple[int, bytes]:
        path, err = self._path(_cstring(payload))
        if path is None or self.writer is None:
            return self._error(err)
        return self._error(self.writer.remove(path) if path else AfcError.PERM_DENIED)

    def _rename(self, payload: bytes) -> tuple[int, bytes]:
        split = payload.find(b"\0")
        if split < 0:
            return self._error(AfcError.OP_HEADER_INVALID)
        source, err = self._path(_cstring(payload))
        target, target_err = self._path(_cstring(payload, split + 1))
        if source is None or target is None or self.writer is None:
            return self._error(err if source is None else target_err)
        if not source or not target:
            return self._error(AfcError.PERM_DENIED)  # the root cannot move, nor be replaced
        return self._error(self.writer.rename(source, target))

    def _seek(self, payload: bytes) -> tuple[int, bytes]:
        handle, whence, offset = struct.unpack_from("<QQq", payload)
        fd = self.handles.get(handle)
        if fd is None or whence not in (0, 1, 2):
            return self._error(AfcError.INVALID_ARG)
        base = (0, fd.offset, len(fd.data))[whence]
        if base + offset < 0:
            return self._error(AfcError.INVALID_ARG)
        fd.offset = base + offset
        return self._error(AfcError.SUCCESS)

    def _tell(self, payload: bytes) -> tuple[int, bytes]:
        (handle,) = _U64.unpack_from(payload)
        fd = self.handles.get(handle)
        if fd is None:
            return self._error(AfcError.INVALID_ARG)
        return AfcOpcode.FILE_TELL_RES, _U64.pack(fd.offset)

    def _close(self, payload: bytes) -> tuple[int, bytes]:
        (handle,) = _U64.unpack_from(payload)
        found = self.handles.pop(handle, None)
        return self._error(AfcError.SUCCESS if found is not None else AfcError.INVALID_ARG)

    def _lock(self, payload: bytes) -> tuple[int, bytes]:
        (handle,) = _U64.unpack_from(payload)
        return self._error(AfcError.SUCCESS if handle in self.handles else AfcError.INVALID_ARG)

"""The ``sync:`` service (adb push/pull/ls/stat) on the virtual file system.

Requests are a 4-byte id plus a little-endian 32-bit length and payload (system/core/adb/
file_sync_protocol.h). Supported: STAT, STA2/LST2 (stat_v2), LIST, LIS2 (ls_v2), SEND, RECV, QUIT, and
sendrecv_v2's SND2/RCV2, whose request is followed by a setup message (``send_v2_setup``: id, mode, flags;
``recv_v2_setup``: id, flags). Flags: none, or kSyncFlagDryRun (0x80000000, sendrecv_v2_dry_run_send: the data
is read and dropped); the brotli/LZ4/Zstd flags are refused, as this adbd does not offer those features.
"""

from __future__ import annotations

import stat as st
import struct
from typing import TYPE_CHECKING

from harness.lab.android.streams import Stream, StreamClosed

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice
    from harness.lab.android.vfs import Node

__all__ = ["serve_sync"]

SYNC_DATA_MAX = 64 * 1024
ENOENT = 2
_ID_STRUCT = struct.Struct("<4sI")
_SEND_V2_SETUP = struct.Struct("<4sII")
_FLAG_DRY_RUN = 0x8000_0000
_STAT_V1 = struct.Struct("<4sIII")
_STAT_V2 = struct.Struct("<4sIQQIIIIQqqq")
_DENT_V1 = struct.Struct("<4sIIII")
_DENT_V2 = struct.Struct("<4sIQQIIIIQqqqI")


def _stat_v2(ident: bytes, node: Node | None) -> bytes:
    if node is None:
        return _STAT_V2.pack(ident, ENOENT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return _STAT_V2.pack(ident, 0, 0xFD00, hash(id(node)) & 0xFFFFFFFF, node.mode, 1, node.uid, node.gid,
                         len(node.data), node.mtime, node.mtime, node.mtime)


def _fail(stream: Stream, text: str) -> None:
    data = text.encode()
    stream.send(_ID_STRUCT.pack(b"FAIL", len(data)) + data)


async def serve_sync(dev: AndroidDevice, stream: Stream) -> None:
    try:
        while True:
            ident, length = _ID_STRUCT.unpack(await stream.read_exactly(8))
            payload = await stream.read_exactly(length) if ident != b"DATA" else b""
            if ident == b"QUIT":
                return
            if not await _handle(dev, stream, ident, payload.decode(errors="replace")):
                return
    except StreamClosed:
        return


async def _handle(dev: AndroidDevice, stream: Stream, ident: bytes, path: str) -> bool:
    fs = dev.fs
    if ident == b"STAT":
        node = fs.get(path)
        stream.send(_STAT_V1.pack(b"STAT", node.mode if node else 0, len(node.data) if node else 0,
                                  node.mtime if node else 0))
    elif ident in (b"STA2", b"LST2"):
        stream.send(_stat_v2(ident, fs.get(path)))
    elif ident in (b"LIST", b"LIS2"):
        _list(dev, stream, path, v2=ident == b"LIS2")
    elif ident == b"SEND":
        target, _, mode_text = path.rpartition(",")
        return await _receive_file(dev, stream, target, int(mode_text) if mode_text.isdigit() else 0o644, False)
    elif ident == b"SND2":
        return await _send_v2(dev, stream, path)
    elif ident == b"RECV":
        _send_file(dev, stream, path)
    elif ident == b"RCV2":
        return await _recv_v2(dev, stream, path)
    else:
        _fail(stream, f"unknown sync request {ident!r}")
        return False
    return True


def _list(dev: AndroidDevice, stream: Stream, path: str, v2: bool) -> None:
    node = dev.fs.get(path)
    entries = list(dev.fs.listdir(path)) if node is not None and node.is_dir else []
    if node is not None and node.is_dir:
        entries = [(".", node), ("..", node), *entries]
    for name, child in entries:
        raw = name.encode()
        if v2:
            head = _DENT_V2.pack(b"DNT2", 0, 0xFD00, 0, child.mode, 1, child.uid, child.gid, len(child.data),
                                 child.mtime, child.mtime, child.mtime, len(raw))
        else:
            head = _DENT_V1.pack(b"DENT", child.mode, len(child.data), child.mtime, len(raw))
        stream.send(head + raw)
    done = _DENT_V2.pack(b"DONE", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) if v2 else _DENT_V1.pack(b"DONE", 0, 0, 0, 0)
    stream.send(done)


async def _send_v2(dev: AndroidDevice, stream: Stream, path: str) -> bool:
    ident, mode, flags = _SEND_V2_SETUP.unpack(await stream.read_exactly(_SEND_V2_SETUP.size))
    if ident != b"SND2" or flags & ~_FLAG_DRY_RUN:
        _fail(stream, f"unsupported send_v2 setup: id {ident!r}, flags {flags:#x}")
        return False
    return await _receive_file(dev, stream, path, mode, dry_run=bool(flags & _FLAG_DRY_RUN))


async def _recv_v2(dev: AndroidDevice, stream: Stream, path: str) -> bool:
    ident, flags = _ID_STRUCT.unpack(await stream.read_exactly(_ID_STRUCT.size))
    if ident != b"RCV2" or flags:
        _fail(stream, f"unsupported recv_v2 setup: id {ident!r}, flags {flags:#x}")
        return False
    _send_file(dev, stream, path)
    return True


async def _receive_file(dev: AndroidDevice, stream: Stream, path: str, mode: int, dry_run: bool) -> bool:
    chunks: list[bytes] = []
    while True:
        ident, value = _ID_STRUCT.unpack(await stream.read_exactly(8))
        if ident == b"DATA":
            chunks.append(await stream.read_exactly(value))
        elif ident == b"DONE":
            break
        else:
            _fail(stream, f"invalid data message {ident!r}")
            return False
    if dry_run:
        stream.send(_ID_STRUCT.pack(b"OKAY", 0))
        return True
    if st.S_ISLNK(mode):
        _fail(stream, "symlinks are not supported on this device")
        return True
    try:
        # fixed_push_mkdir: adbd creates the missing parent directories itself
        dev.fs.mkdirs(dev.fs.resolve(path).rsplit("/", 1)[0] or "/", uid=2000)
        dev.fs.write(path, b"".join(chunks), mode=mode, mtime=value)
    except (FileNotFoundError, IsADirectoryError) as exc:
        reason = "Is a directory" if isinstance(exc, IsADirectoryError) else "No such file or directory"
        _fail(stream, f"couldn't create file: {reason}")
        return True
    stream.send(_ID_STRUCT.pack(b"OKAY", 0))
    return True


def _send_file(dev: AndroidDevice, stream: Stream, path: str) -> None:
    try:
        data = dev.fs.read(path)
    except FileNotFoundError:
        _fail(stream, "No such file or directory")
        return
    except IsADirectoryError:
        _fail(stream, "Is a directory")
        return
    for offset in range(0, len(data), SYNC_DATA_MAX):
        chunk = data[offset : offset + SYNC_DATA_MAX]
        stream.send(_ID_STRUCT.pack(b"DATA", len(chunk)) + chunk)
    stream.send(_ID_STRUCT.pack(b"DONE", 0))

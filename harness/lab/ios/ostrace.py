"""``com.apple.os_trace_relay``: the binary log stream ``pymobiledevice3 syslog live`` reads, and the
process list behind ``pymobiledevice3 processes ps``/``pgrep``.

Requests are length-prefixed plists (4-byte big-endian length). Replies, as the clients parse them:

- ``StartActivity`` → ``0x01`` + ``uint32_be(len)`` + a plist ``{"Status": "RequestSuccessful"}``
  shorter than 256 bytes. pymobiledevice3 reads a 4-byte little-endian *length of the length* (here
  ``01 00 00 00`` = 1), then one length byte, then the plist (``pmd3:services/os_trace.py:
  OsTraceService.syslog``); libimobiledevice 1.4.0 reads a type byte and a 4-byte BE length
  (``limd@1.4.0:src/ostrace.c``). These bytes satisfy both.
- then one record per log entry: ``0x02`` + ``uint32_le(len)`` + a 129-byte little-endian header and
  the strings (layout in ``_HEADER``; ``pmd3:services/os_trace.py:_SyslogRecordHeader`` and
  ``limd@1.4.0:include/libimobiledevice/ostrace.h:ostrace_packet_header_t``).
- ``PidList`` → one unknown byte (skipped by ``get_pid_list``), then a BE-length-prefixed plist
  ``{"Status": "RequestSuccessful", "Payload": {"<pid>": {"ProcessName": name}}}``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import plistlib
import struct
from typing import TYPE_CHECKING, Any

from harness.lab.ios.codec import PlistFrameDecoder, ProtocolError, encode_plist_frame
from harness.lab.ios.link import Link
from harness.lab.ios.syslog import SyslogEntry

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["LEVEL_CODES", "encode_record", "encode_status", "process_path", "serve_os_trace_relay"]

log = logging.getLogger("harness.lab.ios.ostrace")

# marker, type, header_size, pid, procid, process image uuid, procpath_len, activity id, parent
# activity id, time_sec, time_usec, ?, level, ?[6], mach timestamp, thread id, sender image uuid,
# image name len, message len, ?, sender image offset, subsystem len, category len, ? = 129 bytes.
_HEADER = struct.Struct("<BIIIQ16sHQQQIBB6sQQ16sHHHIIII")
_HEADER_SIZE = 0x81
# os_log levels on the wire (pmd3 SyslogLogLevel): Notice 0, Info 1, Debug 2, Error 0x10, Fault 0x11.
LEVEL_CODES = {"Notice": 0x00, "Warning": 0x00, "Info": 0x01, "Debug": 0x02, "Error": 0x10, "Fault": 0x11,
               "Critical": 0x11, "Alert": 0x11, "Emergency": 0x11}
_HISTORICAL = 0x08  # OsActivityStreamFlag.HISTORICAL: send what is already buffered first
_MACH_HZ = 24_000_000  # the A-series timebase
_MAX_TEXT = 0xFFFE  # message_size is a u16 that counts the NUL
_MAX_UNSENT = 8 * 1024 * 1024


def process_path(process: str) -> str:
    """A plausible executable path; clients show its basename as the process name."""
    if process == "SpringBoard":
        return "/System/Library/CoreServices/SpringBoard.app/SpringBoard"
    return f"/usr/libexec/{process}"


def _image_path(image: str) -> str:
    return f"/System/Library/PrivateFrameworks/{image}.framework/{image}"


@functools.lru_cache(maxsize=1024)  # a handful of processes and images log every line
def _uuid_bytes(text: str) -> bytes:
    return hashlib.md5(text.encode(), usedforsecurity=False).digest()


def _cstr(text: str, limit: int = _MAX_TEXT) -> bytes:
    return text.replace("\x00", "").encode("utf-8", errors="replace")[:limit] + b"\x00"


def encode_record(entry: SyslogEntry, uptime_s: float, path: str | None = None) -> bytes:
    """One framed log record: ``0x02`` + LE length + header + strings (each length counts its NUL)."""
    proc = _cstr(path or process_path(entry.process))
    image = _cstr(_image_path(entry.image) if entry.image else path or process_path(entry.process))
    message = _cstr(entry.message)
    subsystem = _cstr(entry.subsystem) if entry.subsystem and entry.category else b""
    category = _cstr(entry.category) if entry.subsystem and entry.category else b""
    seconds = int(entry.time_s)
    header = _HEADER.pack(
        2, 2, _HEADER_SIZE, entry.pid & 0xFFFFFFFF, entry.pid & 0xFFFFFFFF, _uuid_bytes(proc.decode()),
        len(proc), 0, 0, seconds, int((entry.time_s - seconds) * 1_000_000), 0,
        LEVEL_CODES.get(entry.level, 0), b"\x00" * 6, int(max(uptime_s, 0.0) * _MACH_HZ),
        entry.pid * 256 + 3, _uuid_bytes(image.decode()), len(image), len(message), 0, 0, len(subsystem),
        len(category), 0)
    body = header + proc + image + message + subsystem + category
    return b"\x02" + struct.pack("<I", len(body)) + body


def encode_status(body: dict[str, Any]) -> bytes:
    """``0x01`` + BE length + binary plist: the StartActivity/PidList reply framing."""
    data = plistlib.dumps(body, fmt=plistlib.FMT_BINARY)
    return b"\x01" + struct.pack(">I", len(data)) + data


async def serve_os_trace_relay(device: VirtualIPhone, link: Link) -> None:
    decoder = PlistFrameDecoder()
    while data := await link.read():
        try:
            requests = decoder.feed(data)
        except ProtocolError as exc:
            log.warning("[%s] os_trace_relay: dropping connection: %s", device.name, exc)
            break
        for request in requests:
            name = request.get("Request") if isinstance(request, dict) else None
            if name == "StartActivity":
                await _stream(device, link, request)
                return
            if name == "PidList":
                payload = {str(pid): {"ProcessName": proc} for pid, proc in sorted(device.processes.items())}
                link.write(encode_status({"Status": "RequestSuccessful", "Payload": payload}))
            else:
                link.write(encode_plist_frame({"Status": "RequestFailed", "Error": "UnknownRequest"}))
        await link.drain()
    link.close()


async def _stream(device: VirtualIPhone, link: Link, request: dict[str, Any]) -> None:
    """Stream records until the client hangs up; ``Pid`` (-1 = all) filters, HISTORICAL replays."""
    pid = request.get("Pid", -1)
    pid = pid if isinstance(pid, int) and pid not in (-1, 0xFFFFFFFF) else None
    flags = request.get("StreamFlags", 0)
    historical = isinstance(flags, int) and bool(flags & _HISTORICAL)

    paths: dict[str, str | None] = {}

    def send(entry: SyslogEntry) -> None:
        if link.closing or (pid is not None and entry.pid != pid):
            return
        if link.pending > _MAX_UNSENT:
            log.warning("[%s] os_trace_relay client stopped reading; closing it", device.name)
            link.close()
            return
        if entry.process not in paths:  # an app's executable path, asked once per process a connection
            paths[entry.process] = device.executable_path(entry.process)
        link.write(encode_record(entry, device.clock.uptime(), paths[entry.process]))

    link.write(encode_status({"Status": "RequestSuccessful"}))
    device.syslog.subscribe(send, replay=device.syslog_replay if historical else 0)
    try:
        while await link.read():
            pass
    finally:
        device.syslog.unsubscribe(send)
        link.close()

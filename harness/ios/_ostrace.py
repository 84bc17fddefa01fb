"""The os_trace_relay record stream, bytes in and ``pymobiledevice3 syslog live`` lines out. Pure.

After the StartActivity handshake the phone sends one record per log entry: ``0x02``, a little-endian u32
length, then a 129-byte header and the strings (``pmd3:services/os_trace.py:_SyslogRecordHeader`` and
``parse_syslog_entry``). pymobiledevice3 parses a record with a generic struct library and builds dataclasses
and enums for it, about 8 µs a line; this decoder reads the few header fields a line shows with one
``struct`` call and formats the line as ``pmd3:cli/syslog.py:format_line(entry, include_label=True,
image_offset=False, color=False)`` does, character for character (tests/ios/test_ostrace_decode.py holds the
two side by side). A level pymobiledevice3 has no name for prints as its number, as there.
"""

from __future__ import annotations

import functools
import math
import struct
from datetime import datetime

from harness.errors import HarnessError

__all__ = ["OsTraceDecoder"]

# pid, seconds, microseconds, level, image_name_size, message_size, subsystem_size, category_size
_HEADER = struct.Struct("<9xI8x16x18xI4xIxB6x8x8x16xHH2x4xII4x")
_HEADER_SIZE = 129
_LEVELS = {0x00: "NOTICE", 0x01: "INFO", 0x02: "DEBUG", 0x03: "USER_ACTION", 0x10: "ERROR", 0x11: "FAULT"}
_MARKER = 0x02


def _text(data: bytes | bytearray, offset: int, size: int) -> str:
    return data[offset:offset + size - 1].decode("utf8", errors="replace")


@functools.lru_cache(maxsize=64)
def _second(whole: float) -> str:
    return str(datetime.fromtimestamp(whole))


def _when(seconds: int, micros: int) -> str:
    """``str(datetime.fromtimestamp(seconds + micros / 1e6))``, the whole second cached: CPython's rounding of
    the float's fraction to microseconds (half to even, ``datetime._fromtimestamp``), then its ``str``."""
    frac, whole = math.modf(seconds + (micros / 1000000))
    us = round(frac * 1e6)
    if us >= 1000000:
        whole, us = whole + 1, us - 1000000
    return f"{_second(whole)}.{us:06d}" if us else _second(whole)


def format_record(data: bytes | bytearray, start: int = 0, length: int | None = None) -> str:
    """The record payload (after marker and length) at ``data[start:start+length]`` as the line pymobiledevice3
    prints for it."""
    length = len(data) - start if length is None else length
    if length < _HEADER_SIZE:
        raise HarnessError(f"malformed os_trace record: {length} bytes, shorter than its header")
    pid, seconds, micros, level, image_size, message_size, subsystem_size, category_size = \
        _HEADER.unpack_from(data, start)
    end = data.find(b"\x00", start + _HEADER_SIZE, start + length)
    end = start + length if end < 0 else end
    filename = data[start + _HEADER_SIZE:end].decode("utf8", errors="replace")
    offset = end + 1
    image = _text(data, offset, image_size)
    offset += image_size
    message = _text(data, offset, message_size)
    offset += message_size
    label = ""
    if subsystem_size > 0 and category_size > 0:
        label = f"[{_text(data, offset, subsystem_size)}][{_text(data, offset + subsystem_size, category_size)}]"
    return (f"{_when(seconds, micros)} {filename.rpartition('/')[2]}{{{image.rpartition('/')[2]}}}[{pid}] "
            f"<{_LEVELS.get(level, str(level))}>: {message} {label}")


class OsTraceDecoder:
    """Feed the stream's bytes as they come; get the finished records' lines."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[str]:
        self._buf += data
        buf = self._buf
        lines: list[str] = []
        pos = 0
        while len(buf) - pos >= 5:
            if buf[pos] != _MARKER:
                raise HarnessError(f"malformed os_trace stream (chunk marker {buf[pos]:02x})")
            (length,) = struct.unpack_from("<I", buf, pos + 1)
            if len(buf) - pos - 5 < length:
                break
            lines.append(format_record(buf, pos + 5, length))
            pos += 5 + length
        del buf[:pos]
        return lines

    @property
    def pending(self) -> int:
        """Bytes of a record not complete yet."""
        return len(self._buf)

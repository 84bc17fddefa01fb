"""The device's log buffers (main, system, events, crash, radio, kernel) and logcat's line formats.

Formats follow liblog/logprint.cpp (``android_log_formatLogLine``): pid/tid right-aligned in 5,
tag left-aligned and padded to 8 but never cut, multi-line messages repeat the prefix, ``-v epoch``
right-aligns seconds in 19 columns, ``-v long`` puts a header line above the message and a blank
line after it.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "BUFFERS",
    "FORMATS",
    "MODIFIERS",
    "LogBuffers",
    "LogEntry",
    "LogFormat",
    "format_entry",
]

BUFFERS = ("main", "radio", "events", "system", "crash", "stats", "security", "kernel")
FORMATS = ("brief", "process", "tag", "thread", "raw", "time", "threadtime", "long")
MODIFIERS = ("epoch", "monotonic", "year", "usec", "nsec", "UTC", "zone", "uid", "printable", "color",
             "descriptive")
PRIORITIES = "VDIWEF"
# A logger_entry header plus the prio byte and the tag's NUL: what each entry costs in the ring.
_ENTRY_OVERHEAD = 30


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    buffer: str
    sec: float  # device time, seconds since 1970
    uptime: float  # device seconds since boot
    pid: int
    tid: int
    uid: int
    prio: str  # one of V D I W E F
    tag: str
    msg: str

    @property
    def size(self) -> int:
        return _ENTRY_OVERHEAD + len(self.tag) + len(self.msg.encode())


@dataclass(frozen=True, slots=True)
class LogFormat:
    style: str = "threadtime"
    epoch: bool = False
    monotonic: bool = False
    year: bool = False
    usec: bool = False
    nsec: bool = False
    utc: bool = False
    zone: bool = False
    uid: bool = False


def _time_text(entry: LogEntry, fmt: LogFormat) -> str:
    if fmt.monotonic:
        whole = int(entry.uptime)
        frac = entry.uptime - whole
        head = f"{whole:6d}"
    elif fmt.epoch:
        whole = int(entry.sec)
        frac = entry.sec - whole
        head = f"{whole:19d}"
    else:
        whole = int(entry.sec)
        frac = entry.sec - whole
        # The lab's phones run on UTC; -v UTC therefore prints the same wall time.
        head = time.strftime("%Y-%m-%d %H:%M:%S" if fmt.year else "%m-%d %H:%M:%S", time.gmtime(whole))
    if fmt.nsec:
        text = f"{head}.{int(frac * 1e9):09d}"
    elif fmt.usec:
        text = f"{head}.{int(frac * 1e6):06d}"
    else:
        text = f"{head}.{int(frac * 1e3):03d}"
    if fmt.zone:
        text += " +0000"
    return text


def _prefix_suffix(entry: LogEntry, fmt: LogFormat) -> tuple[str, str]:
    p, tag, pid, tid = entry.prio, entry.tag, entry.pid, entry.tid
    uid = f"{entry.uid:5d}:" if fmt.uid else ""
    style = fmt.style
    if style == "brief":
        return f"{p}/{tag:<8}({uid}{pid:5d}): ", "\n"
    if style == "process":
        return f"{p}({uid}{pid:5d}) ", f"  ({tag})\n"
    if style == "tag":
        return f"{p}/{tag:<8}: ", "\n"
    if style == "thread":
        return f"{p}({uid}{pid:5d}:{tid:5d}) ", "\n"
    if style == "raw":
        return "", "\n"
    when = _time_text(entry, fmt)
    if style == "time":
        return f"{when} {p}/{tag:<8}({uid}{pid:5d}): ", "\n"
    if style == "long":
        return f"[ {when} {uid}{pid:5d}:{tid:5d} {p}/{tag:<8} ]\n", "\n\n"
    uid_col = f"{entry.uid:5d} " if fmt.uid else ""
    return f"{when} {uid_col}{pid:5d} {tid:5d} {p} {tag:<8}: ", "\n"


def format_entry(entry: LogEntry, fmt: LogFormat) -> str:
    prefix, suffix = _prefix_suffix(entry, fmt)
    if fmt.style == "long":
        return prefix + entry.msg + suffix
    lines = entry.msg.split("\n")
    return "".join(prefix + line + suffix for line in lines)


Listener = Callable[[LogEntry], None]


def _seq(entry: LogEntry) -> int:
    return entry.seq


class LogBuffers:
    """Ring buffers per log id, with listeners for followers (``logcat`` without ``-d``)."""

    def __init__(self, clock_now: Callable[[], float], clock_uptime: Callable[[], float],
                 size_bytes: int = 1024 * 1024) -> None:
        self._now = clock_now
        self._uptime = clock_uptime
        self._rings: dict[str, deque[LogEntry]] = {name: deque() for name in BUFFERS}
        self._used: dict[str, int] = dict.fromkeys(BUFFERS, 0)
        self.size_bytes: dict[str, int] = dict.fromkeys(BUFFERS, size_bytes)
        self._seq = 0
        self._listeners: list[Listener] = []

    def write(self, buffer: str, prio: str, tag: str, msg: str, *, pid: int, tid: int | None = None,
              uid: int = 1000, at: tuple[float, float] | None = None) -> LogEntry:
        """Append one entry stamped now, or at ``at`` = (device time, uptime): a boot log written after the fact."""
        self._seq += 1
        sec, uptime = at if at is not None else (self._now(), self._uptime())
        entry = LogEntry(self._seq, buffer, sec, uptime, pid, pid if tid is None else tid, uid, prio, tag, msg)
        ring = self._rings[buffer]
        ring.append(entry)
        self._used[buffer] += entry.size
        while self._used[buffer] > self.size_bytes[buffer] and ring:
            self._used[buffer] -= ring.popleft().size
        for listener in list(self._listeners):
            listener(entry)
        return entry

    def event(self, tag: str, fields: Iterable[object], *, pid: int, tid: int | None = None,
              uid: int = 1000) -> LogEntry:
        """An events-buffer entry, rendered the way logcat prints binary events: ``[a,b,c]``."""
        payload = "[" + ",".join(str(f) for f in fields) + "]"
        return self.write("events", "I", tag, payload, pid=pid, tid=tid, uid=uid)

    def entries(self, buffers: Iterable[str]) -> list[LogEntry]:
        merged: list[LogEntry] = []
        for name in buffers:
            merged.extend(self._rings[name])
        merged.sort(key=lambda e: e.seq)
        return merged

    def newest(self, buffers: Iterable[str], count: int, accept: Callable[[LogEntry], bool]) -> list[LogEntry]:
        """The last ``count`` entries of ``buffers`` that ``accept`` takes, oldest first (``logcat -t/-T <count>``).
        Read newest first, each ring from its end: a capture opened with its phone's last lines costs those lines,
        not a merge and filter of the full rings (tens of thousands of entries once the background log has filled
        them, ~40 ms of the lab's loop per capture the harness starts)."""
        rings = [reversed(self._rings[name]) for name in buffers]
        taken = (e for e in heapq.merge(*rings, key=_seq, reverse=True) if accept(e))
        picked = list(itertools.islice(taken, max(0, count)))
        picked.reverse()
        return picked

    def clear(self, buffers: Iterable[str]) -> None:
        for name in buffers:
            self._rings[name].clear()
            self._used[name] = 0

    def used(self, buffer: str) -> int:
        return self._used[buffer]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

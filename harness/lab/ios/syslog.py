"""The iPhone's system log as ``com.apple.syslog_relay`` serves it: a ring buffer plus live listeners.

Line format (what ``idevicesyslog`` and ``pymobiledevice3 syslog live-old`` print)::

    Nov 28 08:00:01 iPhone SpringBoard(FrontBoard)[58] <Notice>: message

idevicesyslog 1.3.0 requires ``line[3]``, ``line[6]`` and ``line[15]`` to be spaces, i.e. a
15-character ``"Mmm dd HH:MM:SS"`` timestamp whose day is padded to two characters
(``limd@1.3.0:tools/idevicesyslog.c:syslog_callback``); it then skips the device name, filters on the
process name before ``(``, and colours the level tokens ``<Notice>``, ``<Error>``, ``<Warning>`` and
``<Debug>``. The day is space-padded as in syslog's ``%b %e`` (``Sep  3``), the form real devices use.

Timestamps are device time from the lab clock, shown in the device's time zone. The model never
sleeps: writers call ``write`` on the lab's event loop, listeners are called synchronously.
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["LEVELS", "SyslogBuffer", "SyslogEntry", "format_relay_line", "resolve_zone"]

log = logging.getLogger("harness.lab.ios.syslog")

# ASL levels as syslog_relay spells them; os_log "default" shows as Notice, "fault" as Fault.
LEVELS = ("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Info", "Debug", "Fault")

Listener = Callable[["SyslogEntry"], None]


@dataclass(frozen=True, slots=True)
class SyslogEntry:
    seq: int
    time_s: float  # device time, seconds since 1970
    process: str  # e.g. "SpringBoard"
    pid: int
    level: str  # one of LEVELS
    message: str
    image: str | None = None  # sender image, shown as process(image)
    subsystem: str | None = None  # os_log subsystem and category (os_trace_relay shows them as a label)
    category: str | None = None


def resolve_zone(name: str, utc_offset_s: float = 0.0) -> tzinfo:
    """``name`` as an IANA zone, or a fixed offset when the zone database lacks it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(seconds=utc_offset_s))


@functools.lru_cache(maxsize=256)
def _stamp(second: int, zone: tzinfo) -> str:
    when = datetime.fromtimestamp(second, zone)
    return f"{when:%b} {when.day:2d} {when:%H:%M:%S}"


def format_relay_line(entry: SyslogEntry, device_name: str, zone: tzinfo) -> str:
    """One relay line, without the record terminator (see ``codec.encode_syslog_record``)."""
    stamp = _stamp(int(entry.time_s // 1), zone)  # a busy log prints many lines in one second
    proc = f"{entry.process}({entry.image})" if entry.image else entry.process
    return f"{stamp} {device_name} {proc}[{entry.pid}] <{entry.level}>: {entry.message}"


class SyslogBuffer:
    """The last ``capacity`` lines of the device log, plus whoever is streaming it right now."""

    def __init__(self, now: Callable[[], float], device_name: Callable[[], str], zone: tzinfo,
                 capacity: int = 2000) -> None:
        self._now = now
        self._device_name = device_name
        self.zone = zone
        self._ring: deque[SyslogEntry] = deque(maxlen=capacity)
        self._listeners: list[Listener] = []
        self._seq = 0

    @property
    def capacity(self) -> int:
        return self._ring.maxlen or 0

    def write(self, process: str, message: str, *, pid: int = 0, level: str = "Notice", image: str | None = None,
              subsystem: str | None = None, category: str | None = None, at: float | None = None) -> str:
        """Log ``message`` from ``process[pid]`` at device time now (or ``at``: a backlog written after the fact);
        returns the relay line. Multi-line messages become one entry per line, as the relay prints them."""
        if level not in LEVELS:
            raise ValueError(f"syslog level {level!r} is not one of {', '.join(LEVELS)}")
        now = self._now() if at is None else at
        lines = []
        for part in message.splitlines() or [""]:
            self._seq += 1
            entry = SyslogEntry(self._seq, now, process, pid, level, part, image, subsystem, category)
            self._add(entry)
            lines.append(self.format(entry))
        return "\n".join(lines)

    def _add(self, entry: SyslogEntry) -> None:
        self._ring.append(entry)
        for listener in list(self._listeners):
            try:
                listener(entry)
            except Exception:  # a broken relay connection must not stop the writer (the OS model)
                log.exception("syslog listener failed")
                self.unsubscribe(listener)

    def format(self, entry: SyslogEntry) -> str:
        return format_relay_line(entry, self._device_name(), self.zone)

    def entries(self, since_seq: int = 0) -> list[SyslogEntry]:
        return [entry for entry in self._ring if entry.seq > since_seq]

    def lines(self, since_seq: int = 0) -> list[str]:
        return [self.format(entry) for entry in self.entries(since_seq)]

    @property
    def last_seq(self) -> int:
        return self._seq

    def subscribe(self, listener: Listener, *, replay: int | None = None) -> None:
        """Call ``listener`` with every new entry; first with the last ``replay`` buffered entries
        (all of them when None). Replay and subscription happen together, so no entry is lost."""
        backlog = list(self._ring)
        if replay is not None:
            backlog = backlog[len(backlog) - replay :] if replay > 0 else []
        for entry in backlog:
            listener(entry)
        self._listeners.append(listener)

    def clear(self) -> None:
        """A reboot: the in-memory buffer a relay client's backlog comes from starts empty again."""
        self._ring.clear()

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)
